"""Rows whose foreign keys name no row, and how a report names a row of the mirror's tables."""

from collections.abc import Iterator, Mapping

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import Base, NodeVersion


def row_name(table: sa.Table, row: Mapping) -> str:
    """How a report names a row: a version by node id and version, others by primary key."""
    if table is NodeVersion.__table__:
        return f"{table.name} {row['node_id']} {row['version']}"
    return f"{table.name} " + ", ".join(str(row[c.name]) for c in table.primary_key.columns)


def dangling_references(session: Session) -> Iterator[tuple[str, str, object, str]]:
    """Each row whose foreign key names no row: (row name, column, its value, parent table)."""
    if session.get_bind().dialect.name == "sqlite":
        return _sqlite_dangling(session)
    return _dangling_by_query(session)


def _dangling_by_query(session: Session) -> Iterator[tuple[str, str, object, str]]:
    """One anti-join per foreign key of the models: SQLite's foreign_key_check, elsewhere.

    Where keys are enforced this finds rows written with enforcement off (e.g. restored with
    triggers disabled).
    """
    for table in Base.metadata.sorted_tables:
        for key in sorted(table.foreign_keys, key=lambda key: key.parent.name):
            child, parent = key.parent, key.column
            query = (
                sa.select(table)
                .where(child.is_not(None), ~sa.exists().where(parent == child))
                .order_by(*table.primary_key.columns)
            )
            for row in session.execute(query).mappings():
                yield row_name(table, row), child.name, row[child.name], parent.table.name


def _sqlite_dangling(session: Session) -> Iterator[tuple[str, str, object, str]]:
    """SQLite's own foreign_key_check, its rows told as _dangling_by_query tells them."""
    for table, rowid, parent, fk_index in session.execute(sa.text("PRAGMA foreign_key_check")):
        quoted = session.get_bind().dialect.identifier_preparer.quote(table)
        keys = session.execute(sa.text(f"PRAGMA foreign_key_list({quoted})")).all()
        column = next((key[3] for key in keys if key[0] == fk_index), "?")
        subject, value = _row_identity(session, table, rowid, column)
        yield subject, column, value, parent


def _row_identity(session: Session, table_name: str, rowid: int, column: str) -> tuple[str, object]:
    """How to name a row a foreign-key check found, and the value of its bad column."""
    table = Base.metadata.tables.get(table_name)
    if table is None or rowid is None or column not in table.c:
        return f"{table_name} row {rowid}", None
    row = (
        session.execute(sa.select(table).where(sa.literal_column("rowid") == rowid))
        .mappings()
        .first()
    )
    if row is None:
        return f"{table_name} row {rowid}", None
    return row_name(table, row), row[column]
