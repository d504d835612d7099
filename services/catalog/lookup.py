"""Answering (node id, version) pairs: many with one indexed query, or one version's archive."""

from collections.abc import Sequence

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import NodeVersion, pair_key
from schemas.rules import MAX_NODE_ID_LENGTH, MAX_VERSION_LENGTH, NODE_ID_PATTERN
from services.chunks import chunks

# Bound values per statement for the portable IN list (SQLite allows 32,766).
KEYS_PER_QUERY = 10_000

_columns = NodeVersion.__table__.c
# SQLite only: all keys travel as one JSON text parameter that json_each() unpacks, and the
# pair_key index still answers each; building and binding an IN list of thousands of values
# costs more than the look-up itself. The portable twin below is used on every other backend.
_SQLITE_BY_KEYS = sa.text(
    "SELECT pair_key, serialized FROM node_versions "
    "WHERE pair_key IN (SELECT value FROM json_each(:keys))"
).columns(_columns.pair_key, _columns.serialized)
# PostgreSQL: the same idea, natively: all keys travel as one text[] parameter.
_POSTGRESQL_BY_KEYS = sa.text(
    "SELECT pair_key, serialized FROM node_versions WHERE pair_key = ANY(:keys)"
).columns(_columns.pair_key, _columns.serialized)


def classify_pair(node_id: str, version: str) -> str | None:
    """Why a pair can never match (the result's error_message), or None if it may."""
    if node_id == "":
        return "node_id is empty."
    if version == "":
        return "version is empty: ask for a specific version of the node."
    if len(node_id) > MAX_NODE_ID_LENGTH:
        return f"node_id is longer than {MAX_NODE_ID_LENGTH} characters."
    if len(version) > MAX_VERSION_LENGTH:
        return f"version is longer than {MAX_VERSION_LENGTH} characters."
    return None


def connection_of(reader: Session | sa.Connection) -> sa.Connection:
    """The connection a session runs its statements on (a connection is its own)."""
    return reader if isinstance(reader, sa.Connection) else reader.connection()


def find_serialized_versions(
    session: Session | sa.Connection, keys: Sequence[str]
) -> dict[str, str]:
    """Map each stored pair key among `keys` to its serialized NodeVersion."""
    if not keys:
        return {}
    connection = connection_of(session)
    if connection.dialect.name == "sqlite":
        return dict(
            connection.execute(_SQLITE_BY_KEYS, {"keys": orjson.dumps(keys).decode()}).all()
        )
    if connection.dialect.name == "postgresql":
        # PostgreSQL text cannot hold NUL, so no stored key has one; it would refuse the array.
        stored = [key for key in keys if "\x00" not in key]
        return dict(connection.execute(_POSTGRESQL_BY_KEYS, {"keys": stored}).all())
    return find_serialized_versions_portably(session, keys)


def find_serialized_versions_portably(session: Session, keys: Sequence[str]) -> dict[str, str]:
    """The portable twin: a single-column IN list on the pair_key index, in chunks."""
    found: dict[str, str] = {}
    for chunk in chunks(keys, KEYS_PER_QUERY):
        query = sa.select(_columns.pair_key, _columns.serialized).where(
            _columns.pair_key.in_(chunk)
        )
        found.update(session.execute(query).all())
    return found


def _pair_keys(pairs: Sequence[tuple[str, str]]) -> list[str | None]:
    """Each pair's look-up key (see NodeVersion.pair_key), or None if it cannot be mirrored."""
    is_node_id = NODE_ID_PATTERN.fullmatch
    keys: list[str | None] = []
    for node_id, version in pairs:
        # Ids outside upstream's syntax (e.g. "author/repo") are simply not mirrored.
        if (
            version
            and len(version) <= MAX_VERSION_LENGTH
            and len(node_id) <= MAX_NODE_ID_LENGTH
            and is_node_id(node_id)
        ):
            keys.append(f"{node_id.lower()}/{version}")  # models.pair_key, inlined: hot path
        else:
            keys.append(None)
    return keys


def look_up_node_versions(
    session: Session | sa.Connection, pairs: Sequence[tuple[str, str]]
) -> list[dict]:
    """One BulkNodeVersionResult per pair, in order; node_version is pre-serialized JSON."""
    keys = _pair_keys(pairs)
    found = find_serialized_versions(session, list({key for key in keys if key is not None}))
    fragment = orjson.Fragment
    results = []
    for (node_id, version), key in zip(pairs, keys, strict=True):
        identifier = {"node_id": node_id, "version": version}
        if key is not None:
            serialized = found.get(key)
            if serialized is None:
                results.append({"identifier": identifier, "status": "not_found"})
            else:
                results.append(
                    {
                        "identifier": identifier,
                        "status": "success",
                        "node_version": fragment(serialized),
                    }
                )
            continue
        problem = classify_pair(node_id, version)
        if problem is None:
            results.append({"identifier": identifier, "status": "not_found"})
        else:
            results.append({"identifier": identifier, "status": "error", "error_message": problem})
    return results


def get_archive(session: Session, node_id: str, version: str) -> sa.Row | None:
    """A version's published `node_id`, `archive_sha256` and `status`, or None when not
    mirrored."""
    query = sa.select(NodeVersion.node_id, NodeVersion.archive_sha256, NodeVersion.status).where(
        NodeVersion.pair_key == pair_key(node_id.lower(), version)
    )
    return session.execute(query).one_or_none()
