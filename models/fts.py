"""Searching nodes on SQLite: an FTS5 trigram index of the searched columns, A-Z folded.

Searches match case-insensitive substrings (`lower(column) LIKE '%term%'`), which no B-tree can
serve. FTS5's trigram tokenizer (SQLite 3.34 and later) can: a phrase of three characters or
more matches exactly the texts holding it as a substring. The index holds each searched column
already folded by lower() (A-Z only, as models/casefold.py folds everywhere) and is
case-sensitive, so FTS5's own Unicode folding never widens an answer; searches still apply
the exact condition to the candidates it finds. Triggers on `nodes` keep it in step with every
insert, update and delete, whoever makes them (imports, syncs, prunes, repairs, plain SQL).

Rows are tied to nodes by rowid. A migration that rebuilds `nodes` (SQLite's batch ALTER
copies the table: new rowids, and no triggers) must call `create_search_index` again after;
`flask mirror verify` reports an index out of step and `--repair` makes it again. Where the
SQLite library has no trigram tokenizer, the index is not made and searches scan, with a
warning.
"""

import logging
import sqlite3

import sqlalchemy as sa

SEARCH_TABLE = "nodes_search"
# The searched columns, indexed under their own names (models/node.py: SEARCHED_COLUMNS).
INDEXED_COLUMNS = ("id", "name", "description", "author", "repository")
TRIGGERS = tuple(f"{SEARCH_TABLE}_{event}" for event in ("insert", "delete", "update"))
# A trigram index knows nothing of shorter terms: those are found by scanning.
MIN_INDEXED_TERM = 3
TRIGRAM_SINCE = (3, 34, 0)

log = logging.getLogger(__name__)

_NAMES = ", ".join(INDEXED_COLUMNS)
_FOLDED_NEW = ", ".join(f"lower(new.{column})" for column in INDEXED_COLUMNS)
_CHANGED = " OR ".join(f"old.{column} IS NOT new.{column}" for column in INDEXED_COLUMNS)
_ROW = f"INSERT INTO {SEARCH_TABLE} (rowid, {_NAMES}) VALUES (new.rowid, {_FOLDED_NEW});"
_UNROW = f"DELETE FROM {SEARCH_TABLE} WHERE rowid = old.rowid;"
_DDL = (
    # Case-sensitive over folded text: FTS5 would otherwise fold every letter Unicode knows.
    f"CREATE VIRTUAL TABLE {SEARCH_TABLE} USING fts5({_NAMES}, "
    "tokenize='trigram case_sensitive 1')",
    f"CREATE TRIGGER {TRIGGERS[0]} AFTER INSERT ON nodes BEGIN {_ROW} END",
    f"CREATE TRIGGER {TRIGGERS[1]} AFTER DELETE ON nodes BEGIN {_UNROW} END",
    # Only when a searched column changes: an import rewrites every column of a node it sees.
    f"CREATE TRIGGER {TRIGGERS[2]} AFTER UPDATE ON nodes WHEN {_CHANGED} BEGIN {_UNROW} {_ROW} END",
)
_FILL = (
    f"INSERT INTO {SEARCH_TABLE} (rowid, {_NAMES}) "
    f"SELECT rowid, {', '.join(f'lower({column})' for column in INDEXED_COLUMNS)} FROM nodes"
)


def trigram_supported(connection: sa.Connection) -> bool:
    """Whether the connection's SQLite has FTS5 with the trigram tokenizer (never elsewhere)."""
    if connection.dialect.name != "sqlite":
        return False
    version = connection.exec_driver_sql("SELECT sqlite_version()").scalar()
    if tuple(int(part) for part in version.split(".")[:3]) < TRIGRAM_SINCE:
        return False
    fts5 = connection.exec_driver_sql("SELECT sqlite_compileoption_used('ENABLE_FTS5')").scalar()
    return bool(fts5)


def search_index_statements() -> tuple[str, ...]:
    """The SQL that makes the index, its triggers and its rows (for `flask db upgrade --sql`)."""
    return (*_DDL, _FILL)


def create_search_index(connection: sa.Connection) -> bool:
    """SQLite: (re)make the index, its triggers and its rows from the nodes held; False, with a
    warning, where the library cannot (searches then scan)."""
    if connection.dialect.name != "sqlite":
        return False
    if not trigram_supported(connection):
        log.warning(
            "SQLite %s has no FTS5 trigram tokenizer (3.34 or later needed); node searches "
            "will scan the whole table. Run `flask mirror verify --repair` after upgrading.",
            sqlite3.sqlite_version,
        )
        return False
    drop_search_index(connection)
    for statement in search_index_statements():
        connection.exec_driver_sql(statement)
    return True


def search_index_drops() -> tuple[str, ...]:
    """The SQL that drops the index and its triggers, where they are."""
    triggers = tuple(f"DROP TRIGGER IF EXISTS {trigger}" for trigger in TRIGGERS)
    return (*triggers, f"DROP TABLE IF EXISTS {SEARCH_TABLE}")


def drop_search_index(connection: sa.Connection) -> None:
    """SQLite: drop the index and its triggers, if there."""
    if connection.dialect.name != "sqlite":
        return
    for statement in search_index_drops():
        connection.exec_driver_sql(statement)


def search_index_ready(connection: sa.Connection) -> bool:
    """Whether the index and all its triggers exist, so that it can be trusted."""
    if connection.dialect.name != "sqlite":
        return False
    names = (SEARCH_TABLE, *TRIGGERS)
    marks = ", ".join("?" * len(names))
    found = connection.exec_driver_sql(
        f"SELECT count(*) FROM sqlite_master WHERE name IN ({marks})", names
    ).scalar()
    return found == len(names)


def indexed(term: str) -> bool:
    """Whether the index can find `term` (it holds trigrams: three characters or more)."""
    return len(term) >= MIN_INDEXED_TERM


def phrase_query(columns: tuple[str, ...], folded_term: str) -> str:
    """An FTS5 query for `folded_term` as a substring of any of `columns`, taken literally."""
    return f'{{{" ".join(columns)}}} : "{folded_term.replace(chr(34), chr(34) * 2)}"'


def indexed_rows(columns: tuple[str, ...], folded_term: str) -> sa.Select:
    """The rowids of the nodes whose folded `columns` may hold `folded_term` (candidates only:
    apply the exact condition too)."""
    table = sa.table(SEARCH_TABLE, sa.column("rowid"))
    match = sa.literal_column(SEARCH_TABLE).op("MATCH")(
        sa.literal(phrase_query(columns, folded_term), sa.Text)
    )
    return sa.select(table.c.rowid).where(match)


def candidates(columns: tuple[str, ...], folded_term: str, cap: int) -> sa.Select:
    """How many nodes `indexed_rows` finds, counted no further than `cap` (FTS5 stops there)."""
    found = indexed_rows(columns, folded_term).limit(cap).subquery()
    return sa.select(sa.func.count()).select_from(found)


def after_create_nodes(target, connection: sa.Connection, **kw) -> None:
    """create_all made `nodes`: make its search index too (SQLite only)."""
    create_search_index(connection)


def before_drop_nodes(target, connection: sa.Connection, **kw) -> None:
    """drop_all drops `nodes`: drop its search index first (SQLite only)."""
    drop_search_index(connection)
