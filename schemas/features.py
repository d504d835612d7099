"""GET /features' answer: the server's capabilities, in upstream's FeaturesResponse shape."""

from marshmallow import fields

from schemas.base import WireSchema


class FeaturesResponseSchema(WireSchema):
    """The server's feature capabilities, as upstream's GetFeatures answers them."""

    partner_node_conversion_rate = fields.Float(
        required=True, metadata={"description": "The conversion rate for partner nodes"}
    )
