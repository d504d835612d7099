"""Answering many (node id, version) pairs with one indexed query."""

from collections.abc import Sequence

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import NodeVersion, pair_key
from schemas.rules import MAX_NODE_ID_LENGTH, MAX_VERSION_LENGTH, is_node_id

# SQLite allows 32,766 bound values per statement; stay well below on every backend.
KEYS_PER_QUERY = 10_000


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


def find_serialized_versions(session: Session, keys: Sequence[str]) -> dict[str, str]:
    """Map each stored pair key among `keys` to its serialized NodeVersion."""
    found: dict[str, str] = {}
    column = NodeVersion.__table__.c
    for start in range(0, len(keys), KEYS_PER_QUERY):
        chunk = keys[start : start + KEYS_PER_QUERY]
        query = sa.select(column.pair_key, column.serialized).where(column.pair_key.in_(chunk))
        found.update(session.execute(query).all())
    return found


def look_up_node_versions(session: Session, pairs: Sequence[tuple[str, str]]) -> list[dict]:
    """One BulkNodeVersionResult per pair, in order; node_version is pre-serialized JSON."""
    keys: list[str | None] = []
    for node_id, version in pairs:
        # Ids outside upstream's syntax (e.g. "author/repo") are simply not mirrored.
        if classify_pair(node_id, version) is None and is_node_id(node_id):
            keys.append(pair_key(node_id.lower(), version))
        else:
            keys.append(None)
    found = find_serialized_versions(session, list(dict.fromkeys(key for key in keys if key)))
    results = []
    for (node_id, version), key in zip(pairs, keys, strict=True):
        identifier = {"node_id": node_id, "version": version}
        serialized = found.get(key) if key is not None else None
        if serialized is not None:
            results.append(
                {
                    "identifier": identifier,
                    "status": "success",
                    "node_version": orjson.Fragment(serialized),
                }
            )
            continue
        problem = classify_pair(node_id, version) if key is None else None
        if problem is None:
            results.append({"identifier": identifier, "status": "not_found"})
        else:
            results.append({"identifier": identifier, "status": "error", "error_message": problem})
    return results
