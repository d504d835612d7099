"""POST /bulk/nodes/versions: many (node id, version) pairs answered in one request."""

import orjson
from flask import Blueprint, current_app, request
from marshmallow import ValidationError
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from blueprints.observe import note_bulk_pairs
from blueprints.operations import operation
from blueprints.pull_through import pull_missing
from blueprints.reading import read_connection
from blueprints.responses import json_response
from schemas.bulk import BulkNodeVersionsRequestSchema, BulkNodeVersionsResponseSchema
from schemas.errors import summarize_messages
from services.catalog.lookup import look_up_node_versions

bp = Blueprint("bulk", __name__)
_request_schema = BulkNodeVersionsRequestSchema()


def read_json_body():
    """The request body parsed as JSON, or a 400 that says why it is not."""
    raw = request.get_data(cache=False)
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is None and limit is not None and len(raw) >= limit:
        # Werkzeug cuts a streamed (chunked) body at the limit without saying so.
        raise RequestEntityTooLarge()
    if not raw.strip():
        raise BadRequest("The request body is empty: send a JSON object.")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"The request body is not valid JSON: {exc}.") from None


@bp.post("/bulk/nodes/versions")
@operation(
    "GetBulkNodeVersions",
    body=BulkNodeVersionsRequestSchema,
    responses={
        200: (BulkNodeVersionsResponseSchema, "Successfully retrieved node versions"),
        400: "Bad request, invalid input",
    },
)
def get_bulk_node_versions():
    """Retrieve multiple node versions in a single request"""
    body = read_json_body()
    # The cap is this server's policy, not part of the upstream contract the schema mirrors,
    # so it is checked here, before the items are validated one by one.
    cap = current_app.config["BULK_MAX_ITEMS"]
    requested = body.get("node_versions") if isinstance(body, dict) else None
    if isinstance(requested, list) and len(requested) > cap:
        raise BadRequest(
            f"node_versions: {len(requested)} items is over this mirror's limit of {cap} "
            "per request; split the request."
        )
    try:
        pairs = _request_schema.load(body)["node_versions"]
    except ValidationError as exc:
        raise BadRequest(summarize_messages(exc.messages)) from None
    results = look_up_node_versions(read_connection(one_statement=True), pairs)
    missed = [
        pair[0]
        for pair, result in zip(pairs, results, strict=True)
        if result["status"] == "not_found"
    ]
    if missed and pull_missing(*missed):
        results = look_up_node_versions(read_connection(one_statement=True), pairs)
    note_bulk_pairs(results)
    return json_response({"node_versions": results})
