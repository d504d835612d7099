"""The registry's read endpoint for publishers."""

from flask import Blueprint
from werkzeug.exceptions import NotFound

from blueprints.operations import operation
from blueprints.responses import json_response
from extensions import db
from schemas.node import PublisherSchema
from services.catalog import queries as catalog

bp = Blueprint("publishers", __name__)


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
    publisher = catalog.get_publisher(db.session, publisherId)
    if publisher is None:
        raise NotFound(f"Publisher {publisherId!r} is not in this mirror.")
    return json_response(publisher)
