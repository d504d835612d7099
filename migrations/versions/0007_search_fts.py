"""Search indexes that serve searches on both backends: SQLite's FTS5 trigram index, filled
from the nodes held; PostgreSQL's trigram indexes made again on a cheaper expression.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

SQLite 3.34 or later: the FTS5 table models/fts.py describes, its triggers, and a row for every
node, so an upgraded mirror's searches use it at once (an older SQLite library gets a warning,
and searches that scan, as before). PostgreSQL with pg_trgm: searches now fold A-Z with
`lower((column) COLLATE "C")` rather than translate(), which cost twenty times as much on every
node a search tests (models/casefold.py); the trigram indexes are remade on that expression.
"""

from alembic import context, op

from models.fts import (
    create_search_index,
    drop_search_index,
    search_index_drops,
    search_index_statements,
)
from models.search import has_trigram_extension

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SEARCHED = ("id", "name", "description", "author", "repository")
TRANSLATED = "translate({}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
LOWER_C = 'lower({} COLLATE "C")'


def upgrade() -> None:
    """SQLite: make the search index and fill it; PostgreSQL: the trigram indexes on lower()."""
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        _trigram_indexes(LOWER_C)
    elif connection.dialect.name != "sqlite":
        return
    elif context.is_offline_mode():
        # `flask db upgrade --sql`: whoever runs the SQL needs SQLite 3.34 or later.
        for statement in search_index_statements():
            op.execute(statement)
    else:
        create_search_index(connection)


def downgrade() -> None:
    """SQLite: drop the search index and its triggers; PostgreSQL: 0002's trigram indexes."""
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        _trigram_indexes(TRANSLATED)
    elif context.is_offline_mode():
        for statement in search_index_drops():
            op.execute(statement)
    else:
        drop_search_index(connection)


def _trigram_indexes(folded: str) -> None:
    """Make each searched column's trigram index again on `folded`, where pg_trgm is installed."""
    if not (context.is_offline_mode() or has_trigram_extension(op.get_bind())):
        return
    for column in SEARCHED:
        op.execute(f"DROP INDEX IF EXISTS ix_nodes_{column}_search")
        op.execute(
            f"CREATE INDEX ix_nodes_{column}_search ON nodes "
            f"USING gin ({folded.format(column)} gin_trgm_ops)"
        )
