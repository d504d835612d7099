"""The registry's read endpoints for publishers: the list, one publisher, and its nodes.

ListNodesForPublisher answers at most the first 10 of a publisher's nodes (by lower-cased id),
as upstream documents; V2 pages through all of them. A publisher the mirror does not hold has
no nodes (upstream documents no 404 there).
"""

from flask import Blueprint
from werkzeug.exceptions import NotFound

from blueprints.nodes import node_page
from blueprints.operations import operation
from blueprints.responses import json_response
from extensions import db
from schemas.node import NodeSchema, PublisherSchema
from schemas.pages import (
    ListAllNodesResponseSchema,
    ListNodesForPublisherQuerySchema,
    ListNodesForPublisherV2QuerySchema,
)
from services.catalog import publishers
from services.catalog import queries as catalog

bp = Blueprint("publishers", __name__)

# How many nodes ListNodesForPublisher answers at most, as upstream documents.
FIRST_NODES = 10


@bp.get("/publishers")
@operation(
    "ListPublishers",
    responses={200: ({"type": "array", "items": PublisherSchema}, "A list of publishers")},
)
def list_publishers():
    """Retrieve all publishers"""
    return json_response(publishers.list_publishers(db.session))


# The path variable keeps upstream's name so the OpenAPI document matches.
@bp.get("/publishers/<publisherId>")
@operation(
    "GetPublisher",
    responses={
        200: (PublisherSchema, "Publisher retrieved successfully"),
        404: "Publisher not found",
    },
)
def get_publisher(publisherId: str):
    """Retrieve a publisher by ID"""
    publisher = publishers.get_publisher(db.session, publisherId)
    if publisher is None:
        raise NotFound(f"Publisher {publisherId!r} is not in this mirror.")
    return json_response(publisher)


def publisher_nodes(publisher_id: str, args: dict, number: int, size: int) -> catalog.Page:
    """A page of the publisher's nodes, banned ones left out unless asked for."""
    filters = catalog.NodeFilters(publisher_id=publisher_id, include_banned=args["include_banned"])
    return catalog.find_nodes(db.session, filters, number, size)


@bp.get("/publishers/<publisherId>/nodes")
@operation(
    "ListNodesForPublisher",
    description="Returns at most the first 10 nodes for the publisher, by lower-cased id.",
    query=ListNodesForPublisherQuerySchema,
    responses={200: ({"type": "array", "items": NodeSchema}, "List of all nodes")},
)
def list_nodes_for_publisher(args: dict, publisherId: str):
    """Retrieve all nodes"""
    return json_response(publisher_nodes(publisherId, args, 1, FIRST_NODES).items)


@bp.get("/publishers/<publisherId>/nodes/v2")
@operation(
    "ListNodesForPublisherV2",
    description="A page of the publisher's nodes, by lower-cased id.",
    query=ListNodesForPublisherV2QuerySchema,
    responses={200: (ListAllNodesResponseSchema, "List of all nodes")},
)
def list_nodes_for_publisher_v2(args: dict, publisherId: str):
    """Retrieve all nodes"""
    return node_page(publisher_nodes(publisherId, args, args["page"], args["limit"]))
