"""The rows an import writes, made from loaded dump objects."""

from typing import Any

from marshmallow import ValidationError

from models.statuses import NodeStatus
from schemas.dump import DumpNodeSchema, DumpNodeVersionSchema
from schemas.errors import flatten_messages
from services.dumps.hashes import UNLOADED
from services.dumps.reader import DumpRejected

_version_schema = DumpNodeVersionSchema()
_node_schema = DumpNodeSchema()
# The keys a node the mirror holds unchanged is still loaded by (see validation._load_node).
UNCHANGED_NODE_KEYS = ("id", "publisher", "versions")


def publisher_record(loaded: dict[str, Any]) -> dict[str, Any]:
    """A publishers row from a loaded publisher (absent fields become None)."""
    columns = (
        "name",
        "description",
        "website",
        "support",
        "source_code_repo",
        "logo",
        "created_at",
        "status",
        "members",
    )
    return {"id": loaded["id"], **{name: loaded.get(name) for name in columns}}


def node_record(loaded: dict[str, Any]) -> dict[str, Any]:
    """A nodes row from a loaded node (absent fields become None; status defaults to active)."""
    columns = (
        "name",
        "description",
        "author",
        "license",
        "repository",
        "icon",
        "banner_url",
        "category",
        "tags",
        "tags_admin",
        "downloads",
        "github_stars",
        "rating",
        "status_detail",
        "supported_os",
        "supported_accelerators",
        "supported_comfyui_version",
        "supported_comfyui_frontend_version",
        "translations",
        "search_ranking",
        "preempted_comfy_node_names",
        "created_at",
    )
    record = {name: loaded.get(name) for name in columns}
    record["id"] = loaded["id"]
    record["normalized_id"] = loaded["id"].lower()
    record["status"] = loaded.get("status") or NodeStatus.ACTIVE
    publisher = loaded.get("publisher")
    record["publisher_id"] = publisher["id"] if publisher else None
    return record


VERSION_COLUMNS = (
    "changelog",
    "comfy_node_extract_status",
    "created_at",
    "dependencies",
    "deprecated",
    "download_url",
    "status",
    "status_reason",
    "supported_accelerators",
    "supported_comfyui_frontend_version",
    "supported_comfyui_version",
    "supported_os",
    "tags",
    "tags_admin",
)


def version_record(node: dict[str, Any], loaded: dict[str, Any]) -> dict[str, Any]:
    """A node_versions row (without its serialized form) from a loaded version; for a version
    left unloaded (services/dumps/hashes.py), the few fields read without loading it."""
    if UNLOADED in loaded:
        return {
            **loaded,
            "node_id": node["id"],
            "node_normalized_id": node["normalized_id"],
        }
    record = {name: loaded.get(name) for name in VERSION_COLUMNS}
    record["content_hash"] = loaded.get("content_hash")
    record["version"] = loaded["version"]
    record["node_id"] = node["id"]
    record["node_normalized_id"] = node["normalized_id"]
    # None means "the dump gave no id": the importer keeps an existing one or makes a stable one.
    record["id"] = loaded.get("id")
    return record


def load_unloaded(record: dict[str, Any], node: dict[str, Any], place: str) -> dict[str, Any]:
    """The full row of a version left unloaded, loaded now after all (the mirror's row changed
    since validation read its hash); a problem refuses the import with the version's place."""
    try:
        loaded = _version_schema.load(record[UNLOADED])
    except ValidationError as exc:
        label, _, where = place.rpartition(": ")
        problems = flatten_messages(exc.messages, where)
        raise DumpRejected([f"{label}: {problem}" for problem in problems]) from None
    loaded["content_hash"] = record["content_hash"]
    full = version_record(node, loaded)
    for key in ("archive_sha256", "archive_size"):
        if key in record:
            full[key] = record[key]
    return full


def unloaded_node_record(loaded: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    """The few fields of a node the mirror holds unchanged, read without loading the rest."""
    publisher = loaded.get("publisher")
    return {
        "id": loaded["id"],
        "normalized_id": loaded["id"].lower(),
        "publisher_id": publisher["id"] if publisher else None,
        UNLOADED: raw,
    }


def load_unloaded_node(record: dict[str, Any], place: str) -> dict[str, Any]:
    """The full row of a node left unloaded, loaded now after all (one of its versions changed,
    or its row did since validation); a problem refuses the import with the node's place."""
    raw = {key: value for key, value in record[UNLOADED].items() if key != "versions"}
    try:
        loaded = _node_schema.load(raw)
    except ValidationError as exc:
        label, _, where = place.rpartition(": ")
        problems = flatten_messages(exc.messages, where)
        raise DumpRejected([f"{label}: {problem}" for problem in problems]) from None
    full = node_record(loaded)
    full["content_hash"] = record["content_hash"]
    return full
