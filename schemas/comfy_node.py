"""ComfyNode on the wire, and the comfy-nodes endpoints' parameters and envelopes, as upstream's."""

from marshmallow import fields

from models.comfy_node import ComfyNodePolicy
from schemas.base import OmitsMissingSchema, WireSchema
from schemas.fields import StrictBoolean
from schemas.pages import CLAMP_NOTE, PageSize, page_number, search_text

# ListComfyNodes' page size: upstream's maximum, so one request fetches any pack's classes.
MAX_VERSION_PAGE_SIZE = 8192
# ListAllComfyNodes' page size: upstream's default and maximum alike.
MAX_LIST_PAGE_SIZE = 100


class ComfyNodeSchema(OmitsMissingSchema):
    """One ComfyUI node class a node version registers; fields without a value are omitted."""

    category = fields.String(
        metadata={"description": "UI category where the node is listed, used for grouping nodes."}
    )
    comfy_node_name = fields.String(metadata={"description": "Unique identifier for the node"})
    deprecated = StrictBoolean(
        metadata={
            "description": "Indicates if the node is deprecated. Deprecated nodes are "
            "hidden in the UI."
        }
    )
    description = fields.String(
        metadata={"description": "Brief description of the node's functionality or purpose."}
    )
    experimental = StrictBoolean(
        metadata={
            "description": "Indicates if the node is experimental, subject to changes or removal."
        }
    )
    function = fields.String(
        metadata={"description": "Name of the entry-point function to execute the node."}
    )
    input_types = fields.String(metadata={"description": "Defines input parameters"})
    output_is_list = fields.List(
        StrictBoolean(),
        metadata={"description": "Boolean values indicating if each output is a list."},
    )
    policy = fields.Enum(ComfyNodePolicy, by_value=True)
    return_names = fields.String(
        metadata={"description": "Names of the outputs for clarity in workflows."}
    )
    return_types = fields.String(
        metadata={"description": "Specifies the types of outputs produced by the node."}
    )


class ListComfyNodesQuerySchema(WireSchema):
    """GET /nodes/{nodeId}/versions/{version}/comfy-nodes query parameters."""

    page = page_number("The page number to retrieve.")
    limit = PageSize(
        maximum=MAX_VERSION_PAGE_SIZE,
        metadata={"description": "The number of items to include per page. " + CLAMP_NOTE},
    )


class ListComfyNodesResponseSchema(WireSchema):
    """A page of one version's node classes, in code-point order of their names."""

    comfy_nodes = fields.List(fields.Nested(ComfyNodeSchema))
    totalNumberOfPages = fields.Integer(
        metadata={"description": "Pages of the size actually served (0 when there is none)"}
    )


class ListAllComfyNodesQuerySchema(WireSchema):
    """GET /comfy-nodes query parameters."""

    page_size = PageSize(
        data_key="pageSize",
        maximum=MAX_LIST_PAGE_SIZE,
        default=MAX_LIST_PAGE_SIZE,
        metadata={"description": "The number of items to include per page. " + CLAMP_NOTE},
    )
    page = page_number("Page number (1-based indexing)")
    node_id = search_text("Filter by node ID (any case)")
    node_version = search_text("Filter by node version")
    comfy_node_name = search_text("Filter by ComfyUI node name (any case)")


class ListAllComfyNodesResponseSchema(WireSchema):
    """A page of node classes: by lower-cased node id, version, then name."""

    comfy_nodes = fields.List(fields.Nested(ComfyNodeSchema))
    page_size = fields.Integer(metadata={"description": "The page size actually served."})
    total = fields.Integer(metadata={"description": "Total number of comfy nodes"})
