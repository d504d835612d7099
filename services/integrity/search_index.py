"""SQLite's search index (models/fts.py) checked against the nodes it indexes, and made again."""

from sqlalchemy.orm import Session

from models.fts import (
    INDEXED_COLUMNS,
    SEARCH_TABLE,
    create_search_index,
    search_index_ready,
    trigram_supported,
)
from services.integrity.report import SEARCH_INDEX, VerifyReport

# Each node's row of the index, holding each searched column as lower() folds it.
_IN_STEP = " AND ".join(f"s.{column} IS lower(n.{column})" for column in INDEXED_COLUMNS)
_OUT_OF_STEP = f"""
SELECT
  (SELECT count(*) FROM nodes n WHERE NOT EXISTS
     (SELECT 1 FROM {SEARCH_TABLE} s WHERE s.rowid = n.rowid AND {_IN_STEP})),
  (SELECT count(*) FROM {SEARCH_TABLE} s WHERE s.rowid NOT IN (SELECT rowid FROM nodes))
"""


def check_search_index(session: Session, report: VerifyReport) -> None:
    """On SQLite with a trigram tokenizer: the index, its triggers and a row for each node, as
    it is now; else nothing to check (PostgreSQL's trigram indexes are PostgreSQL's own)."""
    connection = session.connection()
    if not trigram_supported(connection):
        return
    if not search_index_ready(connection):
        detail = "the search index or one of its triggers is missing (searches scan the nodes)"
        report.add(SEARCH_INDEX, SEARCH_TABLE, detail)
        return
    stale, extra = connection.exec_driver_sql(_OUT_OF_STEP).one()
    if stale or extra:
        detail = (
            f"the search index is out of step with the nodes: {stale} nodes without their "
            f"current row, {extra} rows of no node"
        )
        report.add(SEARCH_INDEX, SEARCH_TABLE, detail)


def remake_search_index(session: Session, report: VerifyReport) -> list[str]:
    """Make the index again from the nodes if `report` found it wrong; say what was done."""
    if not any(problem.kind == SEARCH_INDEX for problem in report.problems):
        return []
    create_search_index(session.connection())
    return [f"{SEARCH_TABLE}: made the search index again from the nodes"]
