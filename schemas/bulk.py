"""POST /bulk/nodes/versions on the wire: the request, each result, and the response."""

from marshmallow import fields, validate

from schemas.base import WireSchema
from schemas.node_version import NodeVersionSchema

RESULT_STATUSES = ("success", "not_found", "error")


class NodeVersionIdentifierSchema(WireSchema):
    """One (node id, version) pair, as requested and as echoed in each result."""

    node_id = fields.String(
        required=True, metadata={"description": "The unique identifier of the node"}
    )
    version = fields.String(required=True, metadata={"description": "The version of the node"})


class NodeVersionIdentifierList(fields.List):
    """A list of identifiers, loaded as (node_id, version) tuples.

    Well-formed lists (every item an object with string node_id and version) take a fast path;
    anything else is loaded item by item through NodeVersionIdentifierSchema, so an error names
    the exact place and the rules stay those of the schema.
    """

    def __init__(self, **kwargs):
        super().__init__(fields.Nested(NodeVersionIdentifierSchema), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if type(value) is list:
            try:
                pairs = [(item["node_id"], item["version"]) for item in value]
            except (KeyError, TypeError, IndexError):
                pairs = None
            if pairs is not None and all(
                type(node_id) is str and type(version) is str for node_id, version in pairs
            ):
                return pairs
        loaded = super()._deserialize(value, attr, data, **kwargs)
        return [(item["node_id"], item["version"]) for item in loaded]


class BulkNodeVersionsRequestSchema(WireSchema):
    """The bulk request body."""

    node_versions = NodeVersionIdentifierList(
        required=True,
        metadata={"description": "List of node ID and version pairs to retrieve"},
    )


class BulkNodeVersionResultSchema(WireSchema):
    """The answer for one requested pair."""

    error_message = fields.String(
        metadata={
            "description": "Error message if retrieval failed (only present if status is error)"
        }
    )
    identifier = fields.Nested(NodeVersionIdentifierSchema, required=True)
    node_version = fields.Nested(NodeVersionSchema)
    status = fields.String(
        required=True,
        validate=validate.OneOf(RESULT_STATUSES),
        metadata={"description": "Status of the retrieval operation"},
    )


class BulkNodeVersionsResponseSchema(WireSchema):
    """The bulk response body: one result per requested pair, in request order."""

    node_versions = fields.List(
        fields.Nested(BulkNodeVersionResultSchema),
        required=True,
        metadata={"description": "List of retrieved node versions with their status"},
    )
