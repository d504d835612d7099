"""GET /releases: release notes as upstream's GetReleaseNotes serves them to the frontend.

The frontend asks on every page load (project, current_version, locale, form_factor) and takes
the first note as the newest release. Where upstream does not document its behaviour the mirror
chooses (see services/releases/reading.py and the README): notes of current_version and newer
by semantic-version precedence, newest first; per release the requested locale, else English;
form_factor ignored. Nothing mirrored answers 200 [].
"""

from flask import Blueprint

from blueprints.operations import operation
from blueprints.responses import json_response
from extensions import db
from schemas.release_notes import GetReleaseNotesQuerySchema, ReleaseNoteSchema
from services.releases.reading import find_release_notes

bp = Blueprint("releases", __name__)


@bp.get("/releases")
@operation(
    "GetReleaseNotes",
    tag="Releases",
    description="Release notes mirrored from upstream, newest release first (by "
    "semantic-version precedence).",
    query=GetReleaseNotesQuerySchema,
    responses={
        200: (ReleaseNoteSchema(many=True), "Release notes retrieved successfully"),
        400: "Bad request: an unknown project or locale, or a current_version that is not "
        "a semantic version",
    },
)
def get_release_notes(args: dict):
    """Get release notes"""
    notes = find_release_notes(
        db.session, args["project"], args["locale"], args.get("current_version")
    )
    return json_response(notes)
