"""Validating parsed dumps into the records an import will write, with the place of each problem."""

import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from marshmallow import ValidationError

from schemas.dump import (
    DUMP_FORMAT_VERSION,
    DumpHeaderSchema,
    DumpNodeSchema,
    DumpPublisherSchema,
    DumpSchema,
    unknown_keys,
    version_loader,
)
from schemas.errors import flatten_messages
from services.dumps.hashes import count_unknown_keys, node_hash, unloaded_version
from services.dumps.hashes import version_loader as hashed_loader
from services.dumps.reader import DumpDocument, DumpRejected
from services.dumps.records import (
    UNCHANGED_NODE_KEYS,
    node_record,
    publisher_record,
    unloaded_node_record,
    version_record,
)
from services.progress import Step
from services.releases.incoming import IncomingReleaseNotes, gather_release_notes

# Stable ids for versions a dump gives none: the same pair always gets the same id.
VERSION_ID_NAMESPACE = uuid.UUID("5c0f3b8e-4a44-4c55-9a53-7f0e0f6d8a11")
# More problems than this are counted, not listed.
MAX_LISTED_PROBLEMS = 50

_node_schema = DumpNodeSchema()
_publisher_schema = DumpPublisherSchema()


@dataclass
class IncomingNode:
    """A node as the dumps give it, with its versions keyed by version string."""

    record: dict[str, Any]
    versions: dict[str, dict[str, Any]]
    place: str
    # Where each version was given, for messages about conflicts found while writing.
    version_places: dict[str, str] = field(default_factory=dict)
    # Upstream's node classes of the versions that carry a non-empty `comfy_nodes`, by version.
    comfy_nodes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass
class IncomingMirror:
    """Everything the dumps hold, validated and merged (later dumps win), ready to write."""

    publishers: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Publisher references ({"id": ...}) by id, with the place of the first one, for checking.
    publisher_references: dict[str, str] = field(default_factory=dict)
    nodes: dict[str, IncomingNode] = field(default_factory=dict)
    # Each version id the dumps give, with the pair it names and where, to refuse reuse.
    version_ids: dict[str, tuple[str, str]] = field(default_factory=dict)
    unknown_keys: Counter = field(default_factory=Counter)
    sources: list[str] = field(default_factory=list)
    # None unless a dump carries the `release_notes` key.
    release_notes: IncomingReleaseNotes | None = None
    # The mirror's content hash of each pair the dumps give, as read before validating.
    stored_hashes: dict[str, str] = field(default_factory=dict)


def stable_version_id(normalized_node_id: str, version: str) -> str:
    """The id a version gets when its dump has none."""
    return str(uuid.uuid5(VERSION_ID_NAMESPACE, f"{normalized_node_id}/{version}"))


def _check_header(document: DumpDocument) -> list[str]:
    """Problems with the format keys, checked first so a newer format is refused clearly."""
    if not isinstance(document.content, dict):
        return [f"{document.label}: the document is not a JSON object."]
    try:
        header = DumpHeaderSchema().load(document.content)
    except ValidationError as exc:
        return [f"{document.label}: {problem}" for problem in flatten_messages(exc.messages)]
    if header["format_version"] > DUMP_FORMAT_VERSION:
        return [
            f"{document.label}: format_version {header['format_version']} is newer than this "
            f"mirror reads (format_version {DUMP_FORMAT_VERSION}); upgrade the mirror to import it."
        ]
    if header["format_version"] < 1:
        return [f"{document.label}: format_version: must be 1 or more."]
    return []


def _claim_version_id(
    incoming: IncomingMirror, version: dict[str, Any], node_key: str, place: str
) -> str | None:
    """Record the id a version is given; a problem if another pair already has it."""
    given = version.get("id")
    if given is None:
        return None
    pair = f"{node_key}/{version['version']}"
    claimed = incoming.version_ids.get(given)
    if claimed is not None and claimed[0] != pair:
        return f"{place}.id: {given!r} is already the id of {claimed[1]}."
    incoming.version_ids[given] = (pair, place)
    return None


def _merge_publisher(incoming: IncomingMirror, loaded: dict[str, Any], place: str) -> None:
    """Record a full publisher, or remember a reference to check once everything is read."""
    if set(loaded) == {"id"}:
        incoming.publisher_references.setdefault(loaded["id"], place)
    else:
        incoming.publishers[loaded["id"]] = publisher_record(loaded)


def validate_dumps(
    documents: list[DumpDocument],
    progress: Step | None = None,
    stored: dict[str, str] | None = None,
) -> IncomingMirror:
    """Validate every document whole; raise DumpRejected listing each problem with its place.

    `stored` (each pair key's content hash in the mirror) lets versions the mirror already holds
    unchanged go unloaded (services/dumps/hashes.py).
    """
    incoming = IncomingMirror(stored_hashes=stored or {})
    problems: list[str] = []
    counter: Counter = Counter()
    token = unknown_keys.set(counter)
    try:
        for document in documents:
            header_problems = _check_header(document)
            if header_problems:
                problems.extend(header_problems)
                continue
            problems.extend(_validate_document(document, incoming, progress))
            incoming.sources.append(document.label)
    finally:
        unknown_keys.reset(token)
    incoming.unknown_keys = counter
    if problems:
        listed = problems[:MAX_LISTED_PROBLEMS]
        if len(problems) > MAX_LISTED_PROBLEMS:
            listed.append(f"... and {len(problems) - MAX_LISTED_PROBLEMS} more problem(s).")
        raise DumpRejected(listed)
    return incoming


def _gather_release_notes(top: dict, label: str, incoming: IncomingMirror) -> list[str]:
    """Take in one dump's release notes, if it carries the key; the problems with them."""
    if "release_notes" not in top:
        return []
    incoming.release_notes = incoming.release_notes or IncomingReleaseNotes()
    return gather_release_notes(top["release_notes"], label, incoming.release_notes)


def _validate_document(
    document: DumpDocument, incoming: IncomingMirror, progress: Step | None
) -> list[str]:
    """Validate one document's top level, then each publisher and node on its own."""
    label = document.label
    problems: list[str] = []
    try:
        top = DumpSchema().load(document.content)
    except ValidationError as exc:
        return [f"{label}: {problem}" for problem in flatten_messages(exc.messages)]
    for index, raw in enumerate(top["publishers"]):
        try:
            loaded = _publisher_schema.load(raw)
        except ValidationError as exc:
            problems.extend(
                f"{label}: {p}" for p in flatten_messages(exc.messages, f"publishers[{index}]")
            )
            continue
        _merge_publisher(incoming, loaded, f"{label}: publishers[{index}]")
    problems.extend(_gather_release_notes(top, label, incoming))
    first_place: dict[str, int] = {}
    for index, raw in enumerate(top["nodes"]):
        place = f"nodes[{index}]"
        if progress is not None:
            progress(1)
        try:
            loaded, record = _load_node(raw, incoming.stored_hashes)
        except ValidationError as exc:
            problems.extend(f"{label}: {p}" for p in flatten_messages(exc.messages, place))
            continue
        key = record["normalized_id"]
        if key in first_place:
            problems.append(
                f"{label}: {place}.id: {loaded['id']!r} is the same node as "
                f"nodes[{first_place[key]}] (node ids are unique case-insensitively)."
            )
            continue
        first_place[key] = index
        places = {}
        for version_index, version in enumerate(loaded["versions"]):
            version_place = f"{label}: {place}.versions[{version_index}]"
            places[version["version"]] = version_place
            problem = _claim_version_id(incoming, version, key, version_place)
            if problem:
                problems.append(problem)
        if loaded.get("publisher"):
            _merge_publisher(incoming, loaded["publisher"], f"{label}: {place}.publisher")
        _merge_node(incoming, record, loaded["versions"], f"{label}: {place}", places)
    return problems


def _load_node(raw: Any, stored: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Load one node and make its row; what the mirror holds unchanged is left unloaded.

    A node whose hash the mirror stores is loaded by `UNCHANGED_NODE_KEYS` only: its versions
    are still checked against it and its publisher merged, its other fields are not read.
    """
    node_id = raw.get("id") if isinstance(raw, dict) else None
    if not isinstance(node_id, str):
        loaded = _node_schema.load(raw)
        return loaded, node_record(loaded)
    digest = node_hash(raw)
    unchanged = stored.get(node_id.lower()) == digest
    counter = unknown_keys.get()
    loaded = _unchanged_node(raw, stored, counter) if unchanged else None
    if loaded is None:
        token = version_loader.set(hashed_loader(stored, node_id.lower(), counter))
        try:
            given = {k: raw[k] for k in UNCHANGED_NODE_KEYS if k in raw} if unchanged else raw
            loaded = _node_schema.load(given)
        finally:
            version_loader.reset(token)
    if unchanged:
        if counter is not None:
            counter.update(key for key in raw if key not in _node_schema.known_keys)
        record = unloaded_node_record(loaded, raw)
    else:
        record = node_record(loaded)
    record["content_hash"] = digest
    return loaded, record


def _unchanged_node(raw: dict, stored: dict[str, str], counter: Counter | None) -> dict | None:
    """An unchanged node whose versions are all unchanged, checked without the schemas: its
    versions against it, its publisher loaded; None when any version must load."""
    versions = raw.get("versions", [])
    publisher = raw.get("publisher")
    if not isinstance(versions, list) or not isinstance(publisher, dict | None):
        return None
    key = raw["id"].lower()
    records = [unloaded_version(stored, key, version) for version in versions]
    if None in records:
        return None
    for version in versions:
        count_unknown_keys(counter, version)
    loaded = {"id": raw["id"], "versions": records}
    _node_schema.check_versions(loaded)
    if publisher is not None:
        try:
            loaded["publisher"] = _node_schema.fields["publisher"].schema.load(publisher)
        except ValidationError as exc:
            raise ValidationError({"publisher": exc.messages}) from None
    return loaded


def _merge_node(
    incoming: IncomingMirror,
    record: dict[str, Any],
    loaded_versions: list[dict[str, Any]],
    place: str,
    places: dict[str, str],
) -> None:
    """Add a validated node to `incoming`, over what earlier dumps gave of it."""
    versions = {v["version"]: version_record(record, v) for v in loaded_versions}
    # An empty list says no more than an absent one: upstream lists none for a version it has
    # not indexed.
    classes = {v["version"]: v["comfy_nodes"] for v in loaded_versions if v.get("comfy_nodes")}
    earlier = incoming.nodes.get(record["normalized_id"])
    if earlier is not None:
        # An earlier dump's versions of this node stay unless this dump gives them again.
        kept = {v: {**r, "node_id": record["id"]} for v, r in earlier.versions.items()}
        versions = {**kept, **versions}
        places = {**earlier.version_places, **places}
        classes = {**earlier.comfy_nodes, **classes}
    incoming.nodes[record["normalized_id"]] = IncomingNode(record, versions, place, places, classes)
