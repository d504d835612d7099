"""Seed dumps on disk: the document header, and nodes, versions, publishers and release notes
with load rules."""

from collections import Counter
from collections.abc import Callable
from contextvars import ContextVar
from functools import cached_property

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates_schema,
)

from models.release_note import ReleaseLocale
from models.statuses import NodeVersionStatus
from schemas.comfy_node import ComfyNodeSchema
from schemas.fields import UTCDateTime
from schemas.limits import (
    MAX_COMFY_NODE_NAME_LENGTH,
    MAX_COMFY_NODES,
    MAX_NAME_LENGTH,
    MAX_RELEASE_NOTES,
    unknown_keys_problem,
    value_problems,
)
from schemas.node import NodeSchema, PublisherSchema
from schemas.node_version import NodeVersionSchema
from schemas.release_notes import ReleaseNoteSchema
from schemas.rules import (
    validate_download_url,
    validate_no_control_characters,
    validate_node_id,
    validate_publisher_id,
    validate_version,
)

DUMP_FORMAT = "comfy-registry-dump"
DUMP_FORMAT_VERSION = 1

# Unknown keys met while loading a dump, by name; set by the importer around a load.
unknown_keys: ContextVar[Counter | None] = ContextVar("unknown_keys", default=None)
# How the importer loads each version of a node: given the raw version and the schema's own
# load, it returns the record (skipping the load for a version it already holds unchanged).
# Set around each node's load; without it versions load as usual.
VersionLoader = Callable[[object, Callable[[], dict]], dict]
version_loader: ContextVar[VersionLoader | None] = ContextVar("version_loader", default=None)


class _CountsUnknownKeys(Schema):
    """Ignores keys this version does not know (upstream adds fields over time) and counts them."""

    class Meta:
        unknown = EXCLUDE

    @pre_load
    def count_unknown_keys(self, data, **kwargs):
        """Add keys that are not fields of this schema to the importer's counter."""
        counter = unknown_keys.get()
        if counter is not None and isinstance(data, dict):
            known = self.known_keys
            counter.update(key for key in data if key not in known)
        return data

    @cached_property
    def known_keys(self) -> frozenset:
        """The keys this schema reads (its fields' data keys), worked out once per schema."""
        return frozenset(field.data_key or name for name, field in self.fields.items())


class _BoundedRecord(_CountsUnknownKeys):
    """A publisher, node or version: no value bigger than schemas/limits.py allows."""

    @cached_property
    def _keys_by_kind(self) -> tuple[frozenset, frozenset]:
        """The keys whose values are checked here, and those holding records checked on their own
        (a publisher, versions)."""
        checked, records = set(), set()
        for name, field in self.fields.items():
            inner = field.inner if isinstance(field, fields.List) else field
            (records if isinstance(inner, fields.Nested) else checked).add(field.data_key or name)
        return frozenset(checked), frozenset(records)

    @pre_load
    def check_sizes(self, data, **kwargs):
        """Refuse oversized values by field, and too much under unknown keys, before loading."""
        if not isinstance(data, dict):
            return data
        checked, records = self._keys_by_kind
        problems: dict = {}
        unknown = {}
        for key, value in data.items():
            if key in checked:
                # Nearly every value is a short string: checked inline, big imports stay fast.
                if type(value) is str and len(value) <= MAX_NAME_LENGTH:
                    continue
                found = value_problems(key, value)
                if found:
                    problems[key] = found
            elif key not in records:
                unknown[key] = value
        found = unknown_keys_problem(unknown)
        if found:
            problems["_schema"] = [found]
        if problems:
            raise ValidationError(problems)
        return data


class DumpHeaderSchema(Schema):
    """The two keys read before anything else, so a newer format is refused clearly."""

    class Meta:
        unknown = EXCLUDE

    format = fields.String(required=True, validate=validate.Equal(DUMP_FORMAT))
    format_version = fields.Integer(required=True, strict=True)


class DumpPublisherSchema(_BoundedRecord, PublisherSchema):
    """A publisher in a dump: a full object, or {"id": ...} referring to the dump's publishers."""

    id = fields.String(required=True, validate=validate_publisher_id)


class DumpComfyNodeSchema(_BoundedRecord, ComfyNodeSchema):
    """A node class of a version in a dump, as upstream's ListComfyNodes serves it."""

    comfy_node_name = fields.String(
        required=True,
        validate=[
            validate.Length(min=1),
            validate.Length(max=MAX_COMFY_NODE_NAME_LENGTH),
            validate_no_control_characters,
        ],
    )


class DumpNodeVersionSchema(_BoundedRecord, NodeVersionSchema):
    """A version in a dump; values upstream always sends get upstream's defaults when absent.

    `comfy_nodes`, optional, carries the node classes upstream's index lists for the version.
    """

    id = fields.UUID()
    version = fields.String(required=True, validate=validate_version)
    download_url = fields.String(data_key="downloadUrl", validate=validate_download_url)
    comfy_nodes = fields.List(fields.Nested(DumpComfyNodeSchema))

    @pre_load
    def count_comfy_nodes(self, data, **kwargs):
        """Refuse more node classes than a version may carry before loading any of them."""
        listed = data.get("comfy_nodes") if isinstance(data, dict) else None
        if isinstance(listed, list) and len(listed) > MAX_COMFY_NODES:
            raise ValidationError(
                {"comfy_nodes": [f"More than {MAX_COMFY_NODES:,} items ({len(listed):,})."]}
            )
        return data

    @validates_schema(skip_on_field_errors=True)
    def check_comfy_node_names(self, data, **kwargs):
        """Each node class appears once in a version."""
        seen: dict[str, int] = {}
        problems = {}
        for index, comfy_node in enumerate(data.get("comfy_nodes") or []):
            name = comfy_node["comfy_node_name"]
            if name in seen:
                message = f"Duplicate of comfy_nodes[{seen[name]}] ({name!r})."
                problems[index] = {"comfy_node_name": [message]}
            seen.setdefault(name, index)
        if problems:
            raise ValidationError({"comfy_nodes": problems})

    @post_load
    def fill_defaults(self, data, **kwargs):
        """Give absent always-sent fields the values upstream sends for them."""
        data.setdefault("changelog", "")
        data.setdefault("dependencies", [])
        data.setdefault("deprecated", False)
        data.setdefault("status", NodeVersionStatus.ACTIVE)
        data.setdefault("status_reason", "")
        if data.get("id") is not None:
            data["id"] = str(data["id"])
        return data


class _DumpVersionField(fields.Nested):
    """A node's version, loaded through the importer's `version_loader` when one is set."""

    def _deserialize(self, value, attr, data, partial=None, **kwargs):
        loader = version_loader.get()
        load = super()._deserialize
        if loader is None:
            return load(value, attr, data, partial=partial, **kwargs)
        return loader(value, lambda: load(value, attr, data, partial=partial, **kwargs))


# The columns' ranges (64-bit counts, a 32-bit ranking), so a huge number is refused with its place.
_INT64 = validate.Range(min=-(2**63), max=2**63 - 1)
_INT32 = validate.Range(min=-(2**31), max=2**31 - 1)


class DumpNodeSchema(_BoundedRecord, NodeSchema):
    """A node in a dump, carrying every version of it the dump holds."""

    id = fields.String(required=True, validate=validate_node_id)
    downloads = fields.Integer(strict=True, validate=_INT64)
    github_stars = fields.Integer(strict=True, validate=_INT64)
    search_ranking = fields.Integer(strict=True, validate=_INT32)
    publisher = fields.Nested(DumpPublisherSchema)
    versions = fields.List(_DumpVersionField(DumpNodeVersionSchema), load_default=list)

    @validates_schema(skip_on_field_errors=True)
    def check_versions(self, data, **kwargs):
        """Each version belongs to this node, and appears once."""
        seen: dict[str, int] = {}
        problems: dict[int, dict[str, list[str]]] = {}
        for index, version in enumerate(data.get("versions", [])):
            node_id = version.get("node_id")
            if node_id is not None and node_id != data["id"]:
                problems[index] = {
                    "node_id": [f"Must equal the enclosing node's id {data['id']!r}."]
                }
            elif version["version"] in seen:
                problems[index] = {
                    "version": [
                        f"Duplicate of versions[{seen[version['version']]}] "
                        f"({version['version']!r})."
                    ]
                }
            seen.setdefault(version["version"], index)
        if problems:
            raise ValidationError({"versions": problems})


class DumpReleaseNoteSchema(_BoundedRecord, ReleaseNoteSchema):
    """A release note in a dump: upstream's ReleaseNote plus the locale it is written in."""

    id = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=2**63 - 1))
    version = fields.String(required=True, validate=validate_version)
    locale = fields.Enum(ReleaseLocale, by_value=True, required=True)


class DumpSchema(_CountsUnknownKeys):
    """A dump's top level (format_version 1).

    Publishers and nodes are checked to be lists here and loaded one by one with
    DumpPublisherSchema and DumpNodeSchema, so a long import shows progress and every bad
    record is reported, not just the first.
    """

    format = fields.String(required=True, validate=validate.Equal(DUMP_FORMAT))
    format_version = fields.Integer(required=True, strict=True)
    exported_at = UTCDateTime()
    source = fields.String()
    publishers = fields.List(fields.Raw(), load_default=list)
    nodes = fields.List(fields.Raw(), required=True)
    # Optional: a dump without the key says nothing about release notes (older dumps lack it).
    release_notes = fields.List(
        fields.Raw(),
        validate=validate.Length(
            max=MAX_RELEASE_NOTES, error=f"More than {MAX_RELEASE_NOTES:,} release notes."
        ),
    )
