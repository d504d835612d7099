"""The registry's read endpoints for nodes and their versions, as upstream's paths and shapes.

Path variables carry upstream's names (nodeId, versionId) so the OpenAPI document matches.
Choices where upstream is silent or where the mirror differs are in services/catalog/queries.py and:
- a node id in another case than the published one: GetNode answers 302 to the published id as
  upstream does (requests, used by comfy-cli and the Manager, and browsers follow it); the
  other endpoints answer directly.
- a banned node: 403 from GetNode, InstallNode, ListNodeVersions and ListAllNodeVersions?nodeId=;
  GetNodeVersion serves its versions (upstream documents no 403 there), as the bulk endpoint does.
- InstallNode refuses (403) a pinned version whose status is Banned: a mirror must not hand out
  what the registry banned. Other statuses are served; clients read `status`.
- translations are sent only by GetNode with include_translations=true.
"""

import orjson
from flask import Blueprint, request, url_for
from werkzeug.exceptions import Forbidden, NotFound

from blueprints.openapi import documented
from blueprints.parameters import (
    BAD_REQUEST,
    SERVER_ERROR,
    error,
    json_content,
    path_parameter,
    query_args,
)
from blueprints.responses import json_response
from extensions import db
from models import Node, NodeStatus, NodeVersionStatus
from schemas.node import NodeSchema
from schemas.node_version import NodeVersionSchema
from schemas.pages import (
    GetNodeQuerySchema,
    InstallNodeQuerySchema,
    ListAllNodesQuerySchema,
    ListAllNodesResponseSchema,
    ListAllNodeVersionsQuerySchema,
    ListAllNodeVersionsResponseSchema,
    ListNodeVersionsQuerySchema,
    SearchNodesQuerySchema,
    SearchNodesResponseSchema,
)
from services.catalog import queries as catalog

bp = Blueprint("nodes", __name__)
NODE_ID = path_parameter("nodeId", "The node's id, in any case.")


def mirrored_node(node_id: str) -> Node:
    """The node with this id in any case, or a 404."""
    node = catalog.get_node(db.session, node_id)
    if node is None:
        raise NotFound(f"Node {node_id!r} is not in this mirror.")
    return node


def servable_node(node_id: str) -> Node:
    """The node with this id in any case, or a 404; a 403 if the registry banned it."""
    node = mirrored_node(node_id)
    if node.status == NodeStatus.BANNED:
        raise Forbidden(f"Node {node.id!r} is banned from the registry.")
    return node


def node_page(page: catalog.Page):
    """A page of nodes in upstream's envelope."""
    return json_response(
        {
            "total": page.total,
            "nodes": page.items,
            "page": page.number,
            "limit": page.size,
            "totalPages": page.total_pages,
        }
    )


def version_documents(serialized: list[str], include_status_reason: bool) -> list:
    """Stored versions to send, with or without their status_reason."""
    if include_status_reason:
        return [orjson.Fragment(version) for version in serialized]
    return [catalog.without_status_reason(version) for version in serialized]


def version_page(page: catalog.Page, include_status_reason: bool):
    """A page of versions in upstream's envelope."""
    return json_response(
        {
            "total": page.total,
            "versions": version_documents(page.items, include_status_reason),
            "page": page.number,
            "pageSize": page.size,
            "totalPages": page.total_pages,
        }
    )


@bp.get("/nodes")
@documented(
    "get",
    operationId="ListAllNodes",
    tags=["Registry"],
    description="Returns a paginated list of nodes, in order of their lower-cased id.",
    parameters=[{"in": "query", "schema": ListAllNodesQuerySchema}],
    responses={
        "200": json_content(ListAllNodesResponseSchema, "A paginated list of nodes"),
        "400": BAD_REQUEST,
        "500": SERVER_ERROR,
    },
)
def list_all_nodes():
    """Retrieves a list of nodes"""
    args = query_args(ListAllNodesQuerySchema())
    filters = catalog.NodeFilters(
        node_ids=args.get("node_id"),
        changed_after=args.get("timestamp"),
        include_banned=args["include_banned"],
        supported_os=args.get("supported_os"),
        supported_accelerator=args.get("supported_accelerator"),
    )
    return node_page(catalog.find_nodes(db.session, filters, args["page"], args["limit"]))


@bp.get("/nodes/search")
@documented(
    "get",
    operationId="SearchNodes",
    tags=["Registry"],
    description="Returns a paginated list of the nodes matching every given search, "
    "in order of their lower-cased id.",
    parameters=[{"in": "query", "schema": SearchNodesQuerySchema}],
    responses={
        "200": json_content(SearchNodesResponseSchema, "A paginated list of nodes"),
        "400": BAD_REQUEST,
        "500": SERVER_ERROR,
    },
)
def search_nodes():
    """Retrieves a list of nodes"""
    args = query_args(SearchNodesQuerySchema())
    filters = catalog.NodeFilters(
        include_banned=args["include_banned"],
        supported_os=args.get("supported_os"),
        supported_accelerator=args.get("supported_accelerator"),
        search=args.get("search"),
        repository_search=args.get("repository_url_search"),
        comfy_node_search=args.get("comfy_node_search"),
    )
    return node_page(catalog.find_nodes(db.session, filters, args["page"], args["limit"]))


@bp.get("/nodes/<nodeId>")
@documented(
    "get",
    operationId="GetNode",
    tags=["Registry"],
    description="Returns the details of a specific node.",
    parameters=[NODE_ID, {"in": "query", "schema": GetNodeQuerySchema}],
    responses={
        "200": json_content(NodeSchema, "Node details"),
        "302": {
            "description": "Redirect to the node's published id when asked in another case",
            "headers": {
                "Location": {
                    "description": "URL of the node with the correct ID",
                    "schema": {"type": "string"},
                }
            },
        },
        "400": BAD_REQUEST,
        "403": error("Node banned"),
        "404": error("Node not found"),
        "500": SERVER_ERROR,
    },
)
def get_node(nodeId: str):
    """Retrieve a specific node by ID"""
    args = query_args(GetNodeQuerySchema())
    node = servable_node(nodeId)
    if node.id != nodeId:
        # The query string goes as sent: through url_for its keys could clash with keywords.
        target = url_for(".get_node", nodeId=node.id)
        if request.query_string:
            target += "?" + request.query_string.decode("latin-1")
        response = json_response(
            {"error": "Found", "message": f"Node ids are case-insensitive: see {node.id}."}, 302
        )
        response.headers["Location"] = target
        return response
    [document] = catalog.node_documents(db.session, [node], args["include_translations"])
    return json_response(document)


@bp.get("/nodes/<nodeId>/install")
@documented(
    "get",
    operationId="InstallNode",
    tags=["Registry"],
    description="Retrieves the node data for installation, either the latest or a specific "
    "version. Latest is the highest Active version by semantic-version precedence.",
    parameters=[NODE_ID, {"in": "query", "schema": InstallNodeQuerySchema}],
    responses={
        "200": json_content(NodeVersionSchema, "Node data returned successfully."),
        "400": error("Invalid input, such as a bad version format."),
        "403": error("Node banned, or the pinned version banned"),
        "404": error("Node not found, or no such version, or no active version"),
        "500": SERVER_ERROR,
    },
)
def install_node(nodeId: str):
    """Returns a node version to be installed."""
    args = query_args(InstallNodeQuerySchema())
    node = servable_node(nodeId)
    wanted = args.get("version") or node.latest_version
    if wanted is None:
        raise NotFound(f"Node {node.id!r} has no active version to install.")
    found = catalog.get_version(db.session, node, wanted)
    if found is None:
        raise NotFound(f"Node {node.id!r} has no version {wanted!r} in this mirror.")
    if found.status == NodeVersionStatus.BANNED:
        raise Forbidden(f"Version {wanted!r} of node {node.id!r} is banned from the registry.")
    return json_response(orjson.Fragment(found.serialized))


@bp.get("/nodes/<nodeId>/versions")
@documented(
    "get",
    operationId="ListNodeVersions",
    tags=["Registry"],
    description="Every version of the node, newest first by semantic-version precedence.",
    parameters=[NODE_ID, {"in": "query", "schema": ListNodeVersionsQuerySchema}],
    responses={
        "200": json_content(
            {"type": "array", "items": NodeVersionSchema}, "List of all node versions"
        ),
        "400": BAD_REQUEST,
        "403": error("Node banned"),
        "404": error("Node not found"),
        "500": SERVER_ERROR,
    },
)
def list_node_versions(nodeId: str):
    """List all versions of a node"""
    args = query_args(ListNodeVersionsQuerySchema())
    node = servable_node(nodeId)
    serialized = catalog.node_versions(db.session, node, args.get("statuses"))
    return json_response(version_documents(serialized, args["include_status_reason"]))


@bp.get("/nodes/<nodeId>/versions/<versionId>")
@documented(
    "get",
    operationId="GetNodeVersion",
    tags=["Registry"],
    parameters=[
        NODE_ID,
        path_parameter("versionId", "The version of the node. (Not a UUID)."),
    ],
    responses={
        "200": json_content(
            NodeVersionSchema, "Detailed information about a specific node version"
        ),
        "404": error("Node version not found"),
        "500": SERVER_ERROR,
    },
)
def get_node_version(nodeId: str, versionId: str):
    """Retrieve a specific version of a node"""
    node = mirrored_node(nodeId)
    found = catalog.get_version(db.session, node, versionId)
    if found is None:
        raise NotFound(f"Node {node.id!r} has no version {versionId!r} in this mirror.")
    return json_response(orjson.Fragment(found.serialized))


@bp.get("/versions")
@documented(
    "get",
    operationId="ListAllNodeVersions",
    tags=["Registry"],
    description="A page of versions: one node's newest first by semantic-version precedence "
    "when nodeId is given, otherwise by lower-cased node id, then version string.",
    parameters=[{"in": "query", "schema": ListAllNodeVersionsQuerySchema}],
    responses={
        "200": json_content(ListAllNodeVersionsResponseSchema, "List of all node versions"),
        "400": BAD_REQUEST,
        "403": error("Node banned"),
        "500": SERVER_ERROR,
    },
)
def list_all_node_versions():
    """List all node versions given some filters."""
    args = query_args(ListAllNodeVersionsQuerySchema())
    number, size = args["page"], args["page_size"]
    node = None
    if args.get("node_id"):
        node = catalog.get_node(db.session, args["node_id"])
        if node is None:
            return version_page(catalog.Page([], 0, number, size), args["include_status_reason"])
        if node.status == NodeStatus.BANNED:
            raise Forbidden(f"Node {node.id!r} is banned from the registry.")
    page = catalog.find_versions(
        db.session, number, size, node, args.get("statuses"), args.get("status_reason")
    )
    return version_page(page, args["include_status_reason"])
