"""Release notes on the wire: ReleaseNote as upstream serializes it, and GET /releases' query."""

from marshmallow import ValidationError, fields

from models.release_note import FALLBACK_LOCALE, ReleaseAttention, ReleaseLocale, ReleaseProject
from schemas.base import OmitsMissingSchema, WireSchema
from schemas.fields import UTCDateTime
from schemas.pages import VocabularyParameter
from schemas.rules import validate_no_control_characters
from services.catalog.semver import is_semantic_version


def validate_current_version(value: str) -> None:
    """Refuse a current_version that cannot be ordered among releases (empty means none)."""
    validate_no_control_characters(value)
    if value and not is_semantic_version(value):
        raise ValidationError(f"{value!r} is not a semantic version such as 0.3.64.")


class ReleaseNoteSchema(OmitsMissingSchema):
    """A release note as upstream serializes it: every field is always sent."""

    attention = fields.Enum(
        ReleaseAttention,
        by_value=True,
        required=True,
        metadata={"description": "The attention level for this release"},
    )
    content = fields.String(
        required=True,
        metadata={"description": "The content of the release note in markdown format"},
    )
    id = fields.Integer(
        required=True,
        strict=True,
        metadata={"description": "Unique identifier for the release note"},
    )
    project = fields.Enum(
        ReleaseProject,
        by_value=True,
        required=True,
        metadata={"description": "The project this release note belongs to"},
    )
    published_at = UTCDateTime(
        required=True, metadata={"description": "When the release note was published"}
    )
    version = fields.String(required=True, metadata={"description": "The version of the release"})


class GetReleaseNotesQuerySchema(WireSchema):
    """GET /releases query parameters."""

    project = VocabularyParameter(
        ReleaseProject,
        "project",
        required=True,
        error_messages={
            "required": "Missing: name the project, one of: "
            + ", ".join(project.value for project in ReleaseProject)
            + "."
        },
        metadata={"description": "The project to get release notes for"},
    )
    current_version = fields.String(
        validate=validate_current_version,
        metadata={
            "description": "Only notes of this version and newer, by semantic-version "
            "precedence (1.10.0 after 1.9.0); empty means every note. Not a semantic version: 400."
        },
    )
    locale = VocabularyParameter(
        ReleaseLocale,
        "locale",
        load_default=FALLBACK_LOCALE,
        metadata={
            "description": "The locale for the release notes; a release with no note in it is "
            f"served in {FALLBACK_LOCALE.value!r}"
        },
    )
    form_factor = fields.String(
        metadata={"description": "The platform requesting the release notes: accepted, ignored"}
    )
