"""Node and Publisher on the wire, field for field as upstream serializes them."""

from marshmallow import fields

from models.statuses import NodeStatus, PublisherStatus
from schemas.base import OmitsMissingSchema
from schemas.fields import StrictFloat, UTCDateTime
from schemas.node_version import CompatibilitySchema, NodeVersionSchema


class PublisherSchema(OmitsMissingSchema):
    """A publisher account."""

    created_at = UTCDateTime(
        data_key="createdAt",
        metadata={"description": "The date and time the publisher was created."},
    )
    description = fields.String()
    id = fields.String(
        metadata={
            "description": "The unique identifier for the publisher. It's akin to a username. "
            "Should be lowercase."
        }
    )
    logo = fields.String(metadata={"description": "URL to the publisher's logo."})
    members = fields.List(
        fields.Dict(), metadata={"description": "A list of members in the publisher."}
    )
    name = fields.String()
    source_code_repo = fields.String()
    status = fields.Enum(PublisherStatus, by_value=True)
    support = fields.String()
    website = fields.String()


class NodeSchema(CompatibilitySchema):
    """A node pack, with its publisher and latest version embedded."""

    author = fields.String()
    banner_url = fields.String(metadata={"description": "URL to the node's banner."})
    category = fields.String(
        metadata={
            "deprecated": True,
            "description": "DEPRECATED: The category of the node. Use 'tags' field instead. "
            "This field will be removed in a future version.",
        }
    )
    created_at = UTCDateTime(
        metadata={"description": "The date and time when the node was created"}
    )
    description = fields.String()
    downloads = fields.Integer(
        strict=True, metadata={"description": "The number of downloads of the node."}
    )
    github_stars = fields.Integer(
        strict=True, metadata={"description": "Number of stars on the GitHub repository."}
    )
    icon = fields.String(metadata={"description": "URL to the node's icon."})
    id = fields.String(metadata={"description": "The unique identifier of the node."})
    latest_version = fields.Nested(NodeVersionSchema, dump_only=True)
    license = fields.String(
        metadata={"description": "The path to the LICENSE file in the node's repository."}
    )
    name = fields.String(metadata={"description": "The display name of the node."})
    preempted_comfy_node_names = fields.List(
        fields.String(),
        metadata={"description": "A list of Comfy node names that are preempted by this node."},
    )
    publisher = fields.Nested(PublisherSchema)
    rating = StrictFloat(metadata={"description": "The average rating of the node."})
    repository = fields.String(metadata={"description": "URL to the node's repository."})
    search_ranking = fields.Integer(
        strict=True,
        metadata={
            "description": "A numerical value representing the node's search ranking, "
            "used for sorting search results."
        },
    )
    status = fields.Enum(NodeStatus, by_value=True)
    status_detail = fields.String(metadata={"description": "The status detail of the node."})
    translations = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(),
        metadata={"description": "Translations of node metadata in different languages."},
    )
