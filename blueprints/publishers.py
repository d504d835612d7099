"""The registry's read endpoint for publishers."""

from flask import Blueprint
from werkzeug.exceptions import NotFound

from blueprints.openapi import documented
from blueprints.parameters import SERVER_ERROR, error, json_content, path_parameter
from blueprints.responses import json_response
from extensions import db
from schemas.node import PublisherSchema
from services.catalog import queries as catalog

bp = Blueprint("publishers", __name__)


# The path variable keeps upstream's name so the OpenAPI document matches.
@bp.get("/publishers/<publisherId>")
@documented(
    "get",
    operationId="GetPublisher",
    tags=["Registry"],
    parameters=[path_parameter("publisherId", "The publisher's id (exact case).")],
    responses={
        "200": json_content(PublisherSchema, "Publisher retrieved successfully"),
        "404": error("Publisher not found"),
        "500": SERVER_ERROR,
    },
)
def get_publisher(publisherId: str):
    """Retrieve a publisher by ID"""
    publisher = catalog.get_publisher(db.session, publisherId)
    if publisher is None:
        raise NotFound(f"Publisher {publisherId!r} is not in this mirror.")
    return json_response(publisher)
