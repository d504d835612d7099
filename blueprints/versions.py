"""The registry's read endpoints for node versions, as upstream's paths and shapes.

Path variables carry upstream's names (nodeId, versionId) so the OpenAPI document matches.
A banned node: 403 from ListNodeVersions and ListAllNodeVersions?nodeId=; GetNodeVersion serves
its versions (upstream documents no 403 there), as the bulk endpoint does. Each version's
status_reason, possibly very long, is sent only when asked for.
"""

import orjson
from flask import Blueprint

from blueprints.nodes import (
    SERVABLE_NODE_ERRORS,
    pulled_node,
    pulled_version,
    refuse_banned,
    servable_node,
)
from blueprints.operations import operation
from blueprints.reading import read_connection
from blueprints.responses import json_response
from schemas.node_version import NodeVersionSchema
from schemas.pages import (
    ListAllNodeVersionsQuerySchema,
    ListAllNodeVersionsResponseSchema,
    ListNodeVersionsQuerySchema,
)
from services.catalog import queries as catalog

bp = Blueprint("versions", __name__)


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


@bp.get("/nodes/<nodeId>/versions")
@operation(
    "ListNodeVersions",
    description="Every version of the node, newest first by semantic-version precedence.",
    query=ListNodeVersionsQuerySchema,
    responses={
        200: ({"type": "array", "items": NodeVersionSchema}, "List of all node versions"),
        **SERVABLE_NODE_ERRORS,
    },
)
def list_node_versions(args: dict, nodeId: str):
    """List all versions of a node"""
    node = servable_node(nodeId)
    serialized = catalog.node_versions(read_connection(), node, args.get("statuses"))
    return json_response(version_documents(serialized, args["include_status_reason"]))


@bp.get("/nodes/<nodeId>/versions/<versionId>")
@operation(
    "GetNodeVersion",
    responses={
        200: (NodeVersionSchema, "Detailed information about a specific node version"),
        404: "Node version not found",
    },
)
def get_node_version(nodeId: str, versionId: str):
    """Retrieve a specific version of a node"""
    found = pulled_version(pulled_node(nodeId), versionId)
    return json_response(orjson.Fragment(found.serialized))


@bp.get("/versions")
@operation(
    "ListAllNodeVersions",
    description="A page of versions: one node's newest first by semantic-version precedence "
    "when nodeId is given, otherwise by lower-cased node id, then version string.",
    query=ListAllNodeVersionsQuerySchema,
    responses={
        200: (ListAllNodeVersionsResponseSchema, "List of all node versions"),
        403: "Node banned",
    },
)
def list_all_node_versions(args: dict):
    """List all node versions given some filters."""
    number, size = args["page"], args["page_size"]
    node = None
    if args.get("node_id"):
        node = catalog.get_node(read_connection(), args["node_id"])
        if node is None:
            return version_page(catalog.Page([], 0, number, size), args["include_status_reason"])
        refuse_banned(node)
    page = catalog.find_versions(
        read_connection(), number, size, node, args.get("statuses"), args.get("status_reason")
    )
    return version_page(page, args["include_status_reason"])
