"""The read API's query parameters and paged envelopes, as upstream names and bounds them."""

import re

from marshmallow import ValidationError, fields, validate

from models.statuses import NodeVersionStatus
from schemas.base import WireSchema
from schemas.fields import UTCDateTime
from schemas.node import NodeSchema
from schemas.node_version import NodeVersionSchema
from schemas.rules import validate_no_control_characters

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100
# Upstream's pattern for ?version= is ^\d+\.\d+\.\d+$; the mirror also accepts semantic-version
# pre-release and build suffixes (2.0.0-beta.1), which it stores and could not serve otherwise.
INSTALL_VERSION_PATTERN = r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$"

CLAMP_NOTE = (
    "Values above the maximum are served as the maximum, which is echoed back; "
    "0 and negative values select the default."
)


class PageSize(fields.Integer):
    """A page size as upstream reads it: clamped to the maximum, sub-1 meaning the default."""

    def __init__(self, maximum: int = MAX_PAGE_SIZE, default: int = DEFAULT_PAGE_SIZE, **kwargs):
        metadata = {"maximum": maximum, **kwargs.pop("metadata", {})}
        super().__init__(load_default=default, metadata=metadata, **kwargs)
        self.maximum, self.default = maximum, default

    def _deserialize(self, value, attr, data, **kwargs):
        size = super()._deserialize(value, attr, data, **kwargs)
        if size < 1:
            return self.default
        return min(size, self.maximum)


class QueryDateTime(UTCDateTime):
    """An RFC 3339 date-time in a query string, forgiving a '+' offset left unencoded (a space)."""

    _SPACED_OFFSET = re.compile(r" (\d{2}:\d{2})$")

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = self._SPACED_OFFSET.sub(r"+\1", value)
        return super()._deserialize(value, attr, data, **kwargs)


class VocabularyParameter(fields.Enum):
    """One of upstream's words in a query string; a bad one is named with the choices."""

    def __init__(self, enum_class, what: str, **kwargs):
        super().__init__(enum_class, by_value=True, **kwargs)
        self.what = what

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except ValidationError:
            raise ValidationError(
                f"{value!r} is not a {self.what}; use one of: {self.choices_text}."
            ) from None


class StatusParameter(VocabularyParameter):
    """A version status in a query string; a bad one is named in the error with the choices."""

    def __init__(self, **kwargs):
        super().__init__(NodeVersionStatus, "version status", **kwargs)


def search_text(description: str) -> fields.String:
    """Text a search looks for; control characters are refused, as SQLite would end the pattern
    at a NUL and so match everything."""
    return fields.String(
        validate=validate_no_control_characters, metadata={"description": description}
    )


def page_number(description: str = "Page number of the nodes list") -> fields.Integer:
    """The 1-based page number: below 1 is refused, as no page precedes the first."""
    return fields.Integer(
        load_default=1,
        # Upstream parses into a signed 64-bit integer; past that is no page at all.
        validate=validate.Range(min=1, max=2**63 - 1, error="Must be a whole number from 1 up."),
        metadata={"description": description},
    )


def include_banned() -> fields.Boolean:
    """Upstream's include_banned: banned nodes are listed unless it is false."""
    return fields.Boolean(
        load_default=True,
        metadata={
            "description": "Whether to include banned nodes in the results. "
            "Defaults to including them; pass false to exclude."
        },
    )


def status_list() -> fields.List:
    """A repeatable ?statuses= of version statuses."""
    return fields.List(
        StatusParameter(),
        metadata={"description": "Only versions in one of these statuses (repeat the parameter)."},
    )


def include_status_reason() -> fields.Boolean:
    """Whether each version keeps its (possibly very long) status_reason."""
    return fields.Boolean(
        load_default=False,
        metadata={"description": "Whether to send each version's status_reason."},
    )


class NodeCompatibilityQuerySchema(WireSchema):
    """Filters by what a node declares it supports; nodes that declare nothing always match."""

    supported_os = fields.String(
        metadata={"description": "Filter nodes by supported operating systems"}
    )
    supported_accelerator = fields.String(
        metadata={"description": "Filter nodes by supported accelerator"}
    )


class ListAllNodesQuerySchema(NodeCompatibilityQuerySchema):
    """GET /nodes query parameters."""

    page = page_number()
    limit = PageSize(metadata={"description": "Number of nodes to return per page. " + CLAMP_NOTE})
    include_banned = include_banned()
    timestamp = QueryDateTime(
        metadata={"description": "Only nodes this mirror saw created or changed after this time"}
    )
    latest = fields.Boolean(metadata={"description": "Accepted and ignored: always fresh"})
    sort = fields.List(fields.String(), metadata={"description": "Accepted and ignored"})
    node_id = fields.List(
        fields.String(),
        metadata={"description": "Only these node ids (repeat the parameter; any case)"},
    )
    comfyui_version = fields.String(metadata={"description": "Accepted and ignored"})
    form_factor = fields.String(metadata={"description": "Accepted and ignored"})


class SearchNodesQuerySchema(NodeCompatibilityQuerySchema):
    """GET /nodes/search query parameters."""

    page = page_number()
    limit = PageSize(metadata={"description": "Number of nodes to return per page. " + CLAMP_NOTE})
    search = search_text("Case-insensitive text in the id, name, description or author")
    repository_url_search = search_text("Case-insensitive text in the repository URL")
    comfy_node_search = search_text("Case-insensitive text in a preempted Comfy node name")
    include_banned = include_banned()


class ListNodesForPublisherQuerySchema(WireSchema):
    """GET /publishers/{publisherId}/nodes query parameters."""

    include_banned = include_banned()


class ListNodesForPublisherV2QuerySchema(ListNodesForPublisherQuerySchema):
    """GET /publishers/{publisherId}/nodes/v2 query parameters."""

    page = page_number()
    limit = PageSize(metadata={"description": "Number of nodes to return per page. " + CLAMP_NOTE})


class GetNodeQuerySchema(WireSchema):
    """GET /nodes/{nodeId} query parameters."""

    include_translations = fields.Boolean(
        load_default=False, metadata={"description": "Whether to include the translations"}
    )


class InstallNodeQuerySchema(WireSchema):
    """GET /nodes/{nodeId}/install query parameters."""

    version = fields.String(
        validate=validate.Regexp(
            INSTALL_VERSION_PATTERN, error="Not a semantic version such as 1.2.3."
        ),
        metadata={
            "description": "Specific version of the node to retrieve. "
            "If omitted, the latest version is returned."
        },
    )


class ListNodeVersionsQuerySchema(WireSchema):
    """GET /nodes/{nodeId}/versions query parameters."""

    statuses = status_list()
    include_status_reason = include_status_reason()


class ListAllNodeVersionsQuerySchema(WireSchema):
    """GET /versions query parameters."""

    node_id = fields.String(
        data_key="nodeId", metadata={"description": "Only this node's versions"}
    )
    statuses = status_list()
    include_status_reason = include_status_reason()
    page = page_number("The page number to retrieve.")
    page_size = PageSize(
        data_key="pageSize",
        metadata={"description": "The number of items to include per page. " + CLAMP_NOTE},
    )
    status_reason = search_text("search for status_reason, case insensitive")


def load_query(schema: WireSchema, args) -> dict:
    """Load query arguments (a MultiDict): list fields take every repeat, others the first."""
    raw = {}
    for name, field in schema.fields.items():
        key = field.data_key or name
        if key not in args:
            continue
        raw[key] = args.getlist(key) if isinstance(field, fields.List) else args.get(key)
    return schema.load(raw)


class ListAllNodesResponseSchema(WireSchema):
    """A page of nodes, ordered by lower-cased node id."""

    limit = fields.Integer(
        metadata={"description": "Maximum number of nodes per page (the size actually served)"}
    )
    nodes = fields.List(fields.Nested(NodeSchema))
    page = fields.Integer(metadata={"description": "Current page number"})
    total = fields.Integer(metadata={"description": "Total number of nodes available"})
    totalPages = fields.Integer(metadata={"description": "Total number of pages available"})


class SearchNodesResponseSchema(ListAllNodesResponseSchema):
    """A page of nodes matching a search, ordered by lower-cased node id."""


class ListAllNodeVersionsResponseSchema(WireSchema):
    """A page of node versions."""

    page = fields.Integer(metadata={"description": "Current page number"})
    pageSize = fields.Integer(
        metadata={"description": "Maximum number of node versions per page. Maximum is 100."}
    )
    total = fields.Integer(metadata={"description": "Total number of node versions available"})
    totalPages = fields.Integer(metadata={"description": "Total number of pages available"})
    versions = fields.List(fields.Nested(NodeVersionSchema))
