"""Look-ups by ComfyUI node class, which the mirror cannot answer: dumps carry no such index.

The frontend calls GET /comfy-nodes/{comfyNodeName}/node to find which pack provides a node
class. Upstream builds that index by extracting every archive; the dump format carries none, so
the mirror answers each such look-up with a clear 404 rather than a generic "no such URL".
"""

from flask import Blueprint
from werkzeug.exceptions import NotFound

from blueprints.operations import operation

bp = Blueprint("comfy_nodes", __name__)

NO_INDEX = "This mirror holds no index of ComfyUI node classes (dumps and bundles carry none)"


@bp.get("/comfy-nodes/<comfyNodeName>/node")
@operation(
    "GetNodeByComfyNodeName",
    responses={404: "No node found containing the specified ComfyUI node name"},
)
def get_node_by_comfy_node_name(comfyNodeName: str):
    """Retrieve a node by ComfyUI node name"""
    raise NotFound(f"{NO_INDEX}, so it cannot say which pack provides {comfyNodeName!r}.")


@bp.get("/nodes/<nodeId>/versions/<version>/comfy-nodes")
@operation(
    "ListComfyNodes",
    # Documented only: the answer is a 404 whatever the page asked for.
    parameters=[
        {"in": "query", "name": "page", "schema": {"type": "integer", "default": 1}},
        {"in": "query", "name": "limit", "schema": {"type": "integer", "default": 10}},
    ],
    responses={404: "Version not found"},
)
def list_comfy_nodes(nodeId: str, version: str):
    """List the ComfyUI nodes of a node version"""
    raise NotFound(f"{NO_INDEX}, so it cannot list those of {nodeId} {version}.")
