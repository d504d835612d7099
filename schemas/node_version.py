"""NodeVersion on the wire: what every read of a version sends, field for field as upstream."""

from marshmallow import fields

from models.statuses import NodeVersionStatus
from schemas.base import OmitsMissingSchema
from schemas.fields import StrictBoolean, UTCDateTime


class CompatibilitySchema(OmitsMissingSchema):
    """What a node or a version supports, and its tags: the same fields on both."""

    supported_accelerators = fields.List(
        fields.String(),
        metadata={
            "description": "List of accelerators (e.g. CUDA, DirectML, ROCm) "
            "that this node supports"
        },
    )
    supported_comfyui_frontend_version = fields.String(
        metadata={"description": "Supported versions of ComfyUI frontend"}
    )
    supported_comfyui_version = fields.String(
        metadata={"description": "Supported versions of ComfyUI"}
    )
    supported_os = fields.List(
        fields.String(),
        metadata={"description": "List of operating systems that this node supports"},
    )
    tags = fields.List(fields.String())
    tags_admin = fields.List(
        fields.String(),
        metadata={"description": "Admin-only tags for security warnings and admin metadata"},
    )


class NodeVersionSchema(CompatibilitySchema):
    """A version as upstream serializes it; fields the mirror has no value for are omitted."""

    changelog = fields.String(metadata={"description": "Summary of changes made in this version"})
    comfy_node_extract_status = fields.String(
        metadata={"description": "The status of comfy node extraction process."}
    )
    created_at = UTCDateTime(
        data_key="createdAt",
        metadata={"description": "The date and time the version was created."},
    )
    dependencies = fields.List(
        fields.String(),
        metadata={"description": "A list of pip dependencies required by the node."},
    )
    deprecated = StrictBoolean(metadata={"description": "Indicates if this version is deprecated."})
    download_url = fields.String(
        data_key="downloadUrl",
        metadata={"description": "[Output Only] URL to download this version of the node"},
    )
    id = fields.String()
    node_id = fields.String(metadata={"description": "The unique identifier of the node."})
    status = fields.Enum(NodeVersionStatus, by_value=True)
    status_reason = fields.String()
    version = fields.String(
        metadata={
            "description": "The version identifier, following semantic versioning. "
            "Must be unique for the node."
        }
    )
