"""GET/HEAD /archives/{nodeId}/{version}/node.zip: the node archives this mirror holds."""

import os

from flask import Blueprint, current_app, send_file
from werkzeug.exceptions import NotFound

from blueprints.operations import operation
from extensions import db
from services.catalog.queries import get_archive

bp = Blueprint("archives", __name__)

# Archives never change under a URL (a new archive is a new version), so caches may keep them.
ONE_YEAR = 365 * 24 * 3600


@bp.get("/archives/<node_id>/<version>/node.zip")
@operation(
    "DownloadNodeArchive",
    tag="Mirror",
    responses={
        200: {
            "description": "The archive (supports Range, If-None-Match, HEAD)",
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
        },
        404: "The mirror holds no archive for that version",
    },
)
def download_archive(node_id: str, version: str):
    """Download a mirrored node archive"""
    row = get_archive(db.session, node_id, version)
    if row is None or row.archive_sha256 is None:
        raise NotFound(f"This mirror holds no archive for {node_id} {version}.")
    path = current_app.extensions["archive_store"].path_for(row.archive_sha256)
    if not os.path.isfile(path):
        current_app.logger.error("archive %s of %s %s is missing", path, node_id, version)
        raise NotFound(
            f"The archive of {node_id} {version} is missing from this mirror's storage; "
            "an operator should restore it from its bundle."
        )
    response = send_file(
        path,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"{row.node_id}-{version}.zip",
        etag=row.archive_sha256,
        conditional=True,
        max_age=ONE_YEAR,
    )
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response
