"""The registry's read endpoints for nodes, as upstream's paths and shapes.

Path variables carry upstream's names (nodeId) so the OpenAPI document matches. Choices where
upstream is silent or where the mirror differs are in services/catalog/queries.py and:
- a node id in another case than the published one: GetNode answers 302 to the published id as
  upstream does (requests, used by comfy-cli and the Manager, and browsers follow it); the
  other endpoints answer directly.
- a banned node: 403 from GetNode and InstallNode (and the version lists, see versions.py).
- InstallNode refuses (403) a pinned version whose status is Banned: a mirror must not hand out
  what the registry banned. Other statuses are served; clients read `status`.
- translations are sent only by GetNode with include_translations=true.
"""

import orjson
from flask import Blueprint, request, url_for
from sqlalchemy import Connection, Row
from sqlalchemy.orm import Session
from werkzeug.exceptions import Forbidden, NotFound

from blueprints.operations import operation
from blueprints.pull_through import pull_missing
from blueprints.reading import read_connection
from blueprints.responses import json_response
from models import NodeStatus, NodeVersionStatus
from schemas.node import NodeSchema
from schemas.node_version import NodeVersionSchema
from schemas.pages import (
    GetNodeQuerySchema,
    InstallNodeQuerySchema,
    ListAllNodesQuerySchema,
    ListAllNodesResponseSchema,
    SearchNodesQuerySchema,
    SearchNodesResponseSchema,
)
from services.catalog import queries as catalog
from services.catalog.served_nodes import fresh_node, get_install, served_answer

bp = Blueprint("nodes", __name__)

CASE_REDIRECT = {
    "description": "Redirect to the node's published id when asked in another case",
    "headers": {
        "Location": {
            "description": "URL of the node with the correct ID",
            "schema": {"type": "string"},
        }
    },
}


# What a node is read through: the request's read connection, or the session of a view that
# reads through the ORM.
Reader = Connection | Session


def found_node(node: Row | None, node_id: str) -> Row:
    """A node found by its id in any case, or a 404 naming the id."""
    if node is None:
        raise NotFound(f"Node {node_id!r} is not in this mirror.")
    return node


def mirrored_node(node_id: str, reader: Reader | None = None) -> Row:
    """The node with this id in any case (catalog.get_node's columns), or a 404; read through
    `reader` (the request's read connection unless given)."""
    return found_node(catalog.get_node(reader or read_connection(), node_id), node_id)


def refuse_banned(node: Row) -> None:
    """A 403 if the registry banned the node."""
    if node.status == NodeStatus.BANNED:
        raise Forbidden(f"Node {node.id!r} is banned from the registry.")


def pulled_node(node_id: str, reader: Reader | None = None) -> Row:
    """The node with this id in any case, fetched through pull-through if missing, or a 404;
    read through `reader` (the request's read connection unless given)."""
    node = catalog.get_node(reader or read_connection(), node_id)
    if node is None and pull_missing(node_id):
        # The pull ended the request's connection: a new one reads what it stored.
        node = catalog.get_node(read_connection(), node_id)
    return found_node(node, node_id)


def pulled_version(node: Row, version: str):
    """One version of `node`, fetched with its node through pull-through if missing, or a 404."""
    found = catalog.get_version(read_connection(), node, version)
    if found is None and pull_missing(node.id):
        node = catalog.get_node(read_connection(), node.id)
        found = catalog.get_version(read_connection(), node, version) if node is not None else None
    if found is None:
        raise missing_version(node, version)
    return found


# How the operations that answer through servable_node document its refusals.
SERVABLE_NODE_ERRORS = {403: "Node banned", 404: "Node not found"}


def servable_node(node_id: str, reader: Reader | None = None) -> Row:
    """The node with this id in any case (pulled through if missing), or a 404; a 403 if the
    registry banned it. Read through `reader` (the request's read connection unless given)."""
    node = pulled_node(node_id, reader)
    refuse_banned(node)
    return node


def missing_version(node: Row, version: str) -> NotFound:
    """The 404 for a version of `node` the mirror does not hold."""
    return NotFound(f"Node {node.id!r} has no version {version!r} in this mirror.")


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


def compatibility(args: dict) -> dict:
    """The filters every node list takes: banned nodes, supported OS and accelerator."""
    keys = ("include_banned", "supported_os", "supported_accelerator")
    return {key: args.get(key) for key in keys}


@bp.get("/nodes")
@operation(
    "ListAllNodes",
    description="Returns a paginated list of nodes, in order of their lower-cased id.",
    query=ListAllNodesQuerySchema,
    responses={200: (ListAllNodesResponseSchema, "A paginated list of nodes")},
)
def list_all_nodes(args: dict):
    """Retrieves a list of nodes"""
    filters = catalog.NodeFilters(
        node_ids=args.get("node_id"), changed_after=args.get("timestamp"), **compatibility(args)
    )
    return node_page(catalog.find_nodes(read_connection(), filters, args["page"], args["limit"]))


@bp.get("/nodes/search")
@operation(
    "SearchNodes",
    description="Returns a paginated list of the nodes matching every given search, "
    "in order of their lower-cased id.",
    query=SearchNodesQuerySchema,
    responses={200: (SearchNodesResponseSchema, "A paginated list of nodes")},
)
def search_nodes(args: dict):
    """Retrieves a list of nodes"""
    filters = catalog.NodeFilters(
        search=args.get("search"),
        repository_search=args.get("repository_url_search"),
        comfy_node_search=args.get("comfy_node_search"),
        **compatibility(args),
    )
    return node_page(catalog.find_nodes(read_connection(), filters, args["page"], args["limit"]))


@bp.get("/nodes/<nodeId>")
@operation(
    "GetNode",
    description="Returns the details of a specific node.",
    query=GetNodeQuerySchema,
    responses={
        200: (NodeSchema, "Node details"),
        302: CASE_REDIRECT,
        **SERVABLE_NODE_ERRORS,
    },
)
def get_node(args: dict, nodeId: str):
    """Retrieve a specific node by ID"""
    # Without translations the answer is one statement's (the node and its stored JSON).
    node = servable_node(nodeId, read_connection(one_statement=not args["include_translations"]))
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
    if args["include_translations"]:
        # Translations are not stored (few ask for them): made afresh by the schemas.
        fresh = fresh_node(read_connection(), node.normalized_id, include_translations=True)
        return json_response(fresh)
    return json_response(served_answer(node))


@bp.get("/nodes/<nodeId>/install")
@operation(
    "InstallNode",
    description="Retrieves the node data for installation, either the latest or a specific "
    "version. Latest is the highest Active version by semantic-version precedence.",
    query=InstallNodeQuerySchema,
    responses={
        200: (NodeVersionSchema, "Node data returned successfully."),
        400: "Invalid input, such as a bad version format.",
        403: "Node banned, or the pinned version banned",
        404: "Node not found, or no such version, or no active version",
    },
)
def install_node(args: dict, nodeId: str):
    """Returns a node version to be installed."""
    asked = args.get("version") or None
    # The node and the version to install in one statement.
    node = get_install(read_connection(one_statement=True), nodeId, asked)
    if (node is None or (asked and node.serialized is None)) and pull_missing(nodeId):
        node = get_install(read_connection(one_statement=True), nodeId, asked)
    node = found_node(node, nodeId)
    refuse_banned(node)
    wanted = asked or node.latest_version
    if wanted is None:
        raise NotFound(f"Node {node.id!r} has no active version to install.")
    if node.serialized is None:
        raise missing_version(node, wanted)
    if node.version_status == NodeVersionStatus.BANNED:
        raise Forbidden(f"Version {wanted!r} of node {node.id!r} is banned from the registry.")
    return json_response(orjson.Fragment(node.serialized))
