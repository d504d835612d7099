"""Whether the mirror can serve: its database answers at the schema this release needs, and its
archive directory can be read. GET /ready answers with it."""

import os

import sqlalchemy as sa

from models import NodeVersion
from services.schema import head_revision, holds_mirror_tables, schema_refusal


def readiness_problem(engine: sa.Engine, metadata: sa.MetaData, archive_root: str) -> str | None:
    """What keeps the mirror from serving, or None when it is ready."""
    try:
        with engine.connect() as connection:
            if not holds_mirror_tables(connection, metadata):
                return (
                    "the database holds none of the mirror's tables: check DATABASE_URL, "
                    f"then run `flask db upgrade` (this release needs {head_revision()})"
                )
        refusal = schema_refusal(engine, metadata)
        if refusal is not None:
            return refusal
        return archive_problem(engine, archive_root)
    except sa.exc.DBAPIError as exc:
        # Down, locked, or missing a table: whatever fails, the mirror cannot serve.
        reason = (str(exc.orig).strip() or type(exc.orig).__name__).splitlines()[0]
        where = engine.url.render_as_string(hide_password=True)
        return f"the database {where} does not answer: {reason}"


def archive_problem(engine: sa.Engine, archive_root: str) -> str | None:
    """Why the archive directory cannot be served from, or None when it can.

    A mirror that holds no archive yet has no directory either (the first import makes it).
    """
    if os.path.isdir(archive_root):
        if os.access(archive_root, os.R_OK | os.X_OK):
            return None
        return f"the archive directory {archive_root} cannot be read (MIRROR_ARCHIVE_DIR)"
    if os.path.exists(archive_root):
        return f"the archive directory {archive_root} is not a directory (MIRROR_ARCHIVE_DIR)"
    with engine.connect() as connection:
        archived = connection.scalar(
            sa.select(NodeVersion.id).where(NodeVersion.archive_sha256.is_not(None)).limit(1)
        )
    if archived is None:
        return None
    return f"the archive directory {archive_root} is missing, yet versions have archives in it"
