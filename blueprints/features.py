"""GET /features: the server's capabilities, in upstream's GetFeatures shape, told truthfully.

Upstream documents one capability, partner_node_conversion_rate: the rate converting the prices
of partner nodes (nodes that call paid APIs through Comfy's servers). The mirror serves no
partner node, so it answers 0: clients must not take it for a server that runs them.
"""

from flask import Blueprint

from blueprints.operations import operation
from blueprints.responses import json_response
from schemas.features import FeaturesResponseSchema

bp = Blueprint("features", __name__)

# The mirror runs no partner (API) nodes, so none has a conversion rate.
MIRROR_FEATURES = {"partner_node_conversion_rate": 0}


@bp.get("/features")
@operation(
    "GetFeatures",
    description="Returns the server's feature capabilities: this mirror serves no partner nodes.",
    responses={200: (FeaturesResponseSchema, "Success")},
)
def get_features():
    """Get server feature flags"""
    return json_response(FeaturesResponseSchema().dump(MIRROR_FEATURES))
