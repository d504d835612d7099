"""Content hashes of dump objects, and loading a node's versions by them.

A version's hash is the digest of its dump object as given (keys sorted); a node's, of its
object without its versions. The mirror stores each beside the row it wrote from the object,
so an import that meets the same object again knows the row is already what it would write:
it skips validating and serializing it. Skipping validation is safe because the object is
identical to one the mirror already accepted.
"""

import hashlib
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import orjson

from models.statuses import NodeVersionStatus
from schemas.dump import DumpNodeVersionSchema

# The key of a version record that was not loaded: the dump object, loaded only if needed.
UNLOADED = "_unloaded"
# Bytes of digest kept: 128 bits, no collision in any registry's lifetime.
DIGEST_SIZE = 16

_VERSION_KEYS = DumpNodeVersionSchema().known_keys


def content_hash(value: Any) -> str:
    """The digest of a JSON value, independent of the order of its keys."""
    return hashlib.blake2b(
        orjson.dumps(value, option=orjson.OPT_SORT_KEYS), digest_size=DIGEST_SIZE
    ).hexdigest()


def node_hash(raw: dict) -> str:
    """The digest of a node's dump object without its versions."""
    return content_hash({key: value for key, value in raw.items() if key != "versions"})


def _status(raw: dict) -> NodeVersionStatus | None:
    """The status an accepted version object loads to (upstream's default when absent)."""
    if "status" not in raw:
        return NodeVersionStatus.ACTIVE
    try:
        return NodeVersionStatus(raw["status"])
    except ValueError:
        return None


def _unloaded_record(raw: dict, digest: str) -> dict | None:
    """The few fields of an unchanged version the import reads without loading it."""
    status = _status(raw)
    if status is None:
        return None
    given = raw.get("id")
    record = {"version": raw["version"], "node_id": raw.get("node_id"), "status": status}
    try:
        # As the schema loads it: the canonical spelling of the UUID.
        record["id"] = str(uuid.UUID(given)) if isinstance(given, str) else None
    except ValueError:
        return None
    record["content_hash"] = digest
    record[UNLOADED] = raw
    return record


def unloaded_version(stored: dict[str, str], node_key: str, raw: object) -> dict | None:
    """The record of a version the mirror stores with the same hash under its pair, left
    unloaded; None when it must load (changed, new, or carrying node classes, which are written
    from the load)."""
    if not isinstance(raw, dict) or raw.get("comfy_nodes"):
        return None
    version = raw.get("version")
    stored_hash = stored.get(f"{node_key}/{version}") if isinstance(version, str) else None
    if stored_hash is None:
        return None
    digest = content_hash(raw)
    return _unloaded_record(raw, digest) if digest == stored_hash else None


def count_unknown_keys(counter: Counter | None, raw: dict) -> None:
    """Count the keys of a version left unloaded that the schema would have ignored."""
    if counter is not None:
        counter.update(key for key in raw if key not in _VERSION_KEYS)


def version_loader(
    stored: dict[str, str], node_key: str, counter: Counter | None
) -> Callable[[object, Callable[[], dict]], dict]:
    """How one node's versions load: those the mirror holds unchanged are left unloaded; the
    others load with the schema and carry their hash."""

    def load(raw: object, schema_load: Callable[[], dict]) -> dict:
        record = unloaded_version(stored, node_key, raw)
        if record is not None:
            count_unknown_keys(counter, raw)
            return record
        loaded = schema_load()
        loaded["content_hash"] = content_hash(raw) if isinstance(raw, dict) else None
        return loaded

    return load
