"""Look-ups by ComfyUI node class: which pack provides a class, and each version's classes.

The frontend puts a class name into the path as it is (spaces, parentheses, `+`, `|`, even `/`),
so names are read with a `path` converter and slashes are never merged. The ranking among packs
providing the same class is services/catalog/comfy_nodes.py's. A version the mirror holds but
has no classes for answers an empty list, as upstream does for one it has not indexed.
"""

from flask import Blueprint
from werkzeug.exceptions import NotFound

from blueprints.nodes import mirrored_node
from blueprints.operations import operation
from blueprints.responses import json_response
from extensions import db
from schemas.comfy_node import (
    ComfyNodeSchema,
    ListAllComfyNodesQuerySchema,
    ListAllComfyNodesResponseSchema,
    ListComfyNodesQuerySchema,
    ListComfyNodesResponseSchema,
)
from schemas.node import NodeSchema
from services.catalog import comfy_nodes as index
from services.catalog.served_nodes import served_answer

bp = Blueprint("comfy_nodes", __name__)


def mirrored_version_id(node_id: str, version: str) -> str:
    """The id of a version the mirror holds, or a 404 naming what is missing."""
    node = mirrored_node(node_id, db.session)
    found = index.version_id(db.session, node, version)
    if found is None:
        raise NotFound(f"Node {node.id!r} has no version {version!r} in this mirror.")
    return found


@bp.get("/comfy-nodes/<path:comfyNodeName>/node", merge_slashes=False)
@operation(
    "GetNodeByComfyNodeName",
    description="Returns the node that contains a ComfyUI node with the specified name: "
    "a node whose latest version provides it first, then the most downloaded, then by id; "
    "never a banned node.",
    responses={
        200: (NodeSchema, "Node details"),
        404: "No node found containing the specified ComfyUI node name",
    },
)
def get_node_by_comfy_node_name(comfyNodeName: str):
    """Retrieve a node by ComfyUI node name"""
    node = index.providing_node(db.session, comfyNodeName)
    if node is None:
        raise NotFound(f"No node in this mirror provides the ComfyUI node {comfyNodeName!r}.")
    return json_response(served_answer(node))


@bp.get("/nodes/<nodeId>/versions/<version>/comfy-nodes")
@operation(
    "ListComfyNodes",
    query=ListComfyNodesQuerySchema,
    responses={
        200: (ListComfyNodesResponseSchema, "Comy Nodes obtained successfully"),
        404: "Version not found",
    },
)
def list_comfy_nodes(args: dict, nodeId: str, version: str):
    """list comfy-nodes for node version"""
    found = mirrored_version_id(nodeId, version)
    page = index.version_comfy_nodes(db.session, found, args["page"], args["limit"])
    return json_response({"comfy_nodes": page.items, "totalNumberOfPages": page.total_pages})


@bp.get("/nodes/<nodeId>/versions/<version>/comfy-nodes/<path:comfyNodeName>", merge_slashes=False)
@operation(
    "GetComfyNode",
    responses={200: (ComfyNodeSchema, "Comy Nodes created successfully"), 404: "Version not found"},
)
def get_comfy_node(nodeId: str, version: str, comfyNodeName: str):
    """get specify comfy-node based on its id"""
    found = index.get_comfy_node(db.session, mirrored_version_id(nodeId, version), comfyNodeName)
    if found is None:
        raise NotFound(
            f"Version {version!r} of node {nodeId!r} has no ComfyUI node {comfyNodeName!r}."
        )
    return json_response(found)


@bp.get("/comfy-nodes")
@operation(
    "ListAllComfyNodes",
    description="A page of ComfyUI nodes, by lower-cased node id, version, then name.",
    query=ListAllComfyNodesQuerySchema,
    responses={200: (ListAllComfyNodesResponseSchema, "OK")},
)
def list_all_comfy_nodes(args: dict):
    """list all comfy-nodes"""
    page = index.find_comfy_nodes(
        db.session,
        args["page"],
        args["page_size"],
        node_id=args.get("node_id"),
        version=args.get("node_version"),
        comfy_node_name=args.get("comfy_node_name"),
    )
    return json_response({"comfy_nodes": page.items, "page_size": page.size, "total": page.total})
