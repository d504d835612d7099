"""GET/HEAD /archives/{nodeId}/{version}/node.zip: the node archives this mirror holds."""

import os

from flask import Blueprint, current_app, request
from werkzeug.exceptions import NotFound

from blueprints.byte_ranges import send_ranged_file
from blueprints.limits import drop_stalled_download
from blueprints.observe import note_archive_bytes
from blueprints.operations import operation
from blueprints.pull_through import pull_missing
from extensions import db
from models import NodeVersionStatus
from services.catalog.lookup import get_archive

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
        206: {
            "description": "The one byte range asked for (a unit other than bytes, or several "
            "ranges, get the whole archive)",
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
        },
        404: "The mirror holds no archive for that version",
        416: "The byte range is invalid or starts past the end of the archive",
    },
)
def download_archive(node_id: str, version: str):
    """Download a mirrored node archive"""
    row = get_archive(db.session, node_id, version)
    # A banned version has no archive to fetch: its absence is no miss.
    lacking = row is None or (row.archive_sha256 is None and row.status != NodeVersionStatus.BANNED)
    if lacking and pull_missing(node_id):
        row = get_archive(db.session, node_id, version)
    if row is None or row.archive_sha256 is None:
        raise NotFound(f"This mirror holds no archive for {node_id} {version}.")
    store = current_app.extensions["archive_store"]
    path = store.path_for(row.archive_sha256)
    if not os.path.isfile(path):
        current_app.logger.error("archive %s of %s %s is missing", path, node_id, version)
        raise NotFound(
            f"The archive of {node_id} {version} is missing from this mirror's storage; "
            "an operator should restore it from its bundle."
        )
    accel = current_app.config.get("ACCEL_REDIRECT")
    if not accel:
        drop_stalled_download()
    response = send_ranged_file(
        path,
        _without_range(request.environ) if accel else request.environ,
        etag=row.archive_sha256,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"{row.node_id}-{version}.zip",
        max_age=ONE_YEAR,
    )
    response.cache_control.public = True
    response.cache_control.immutable = True
    note_archive_bytes(response)
    if accel and response.status_code == 200:
        # The proxy's internal location sits under the prefix it serves the mirror at.
        inside = os.path.relpath(path, store.root).replace(os.sep, "/")
        _hand_to_proxy(response, request.script_root + accel + inside)
    return response


def _without_range(environ: dict) -> dict:
    """The request less its Range: the proxy serving the file applies the range itself."""
    return {key: value for key, value in environ.items() if key != "HTTP_RANGE"}


def _hand_to_proxy(response, location: str) -> None:
    """Replace the file with X-Accel-Redirect, keeping every header but the body's length."""
    response.close()
    response.direct_passthrough = False
    response.set_data(b"")
    response.headers["X-Accel-Redirect"] = location
