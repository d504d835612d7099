"""The registry's rules for ids and version strings, shared by dump validation and look-ups."""

import re

from marshmallow import ValidationError

# Upstream's node id syntax (1-100 characters).
NODE_ID_PATTERN = re.compile(r"[a-zA-Z0-9](?:[a-zA-Z0-9._-]*[a-zA-Z0-9])?")
MAX_NODE_ID_LENGTH = 100
# Versions become archive paths and URL segments; longer strings are never legitimate.
MAX_VERSION_LENGTH = 255
MAX_PUBLISHER_ID_LENGTH = 100
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def is_node_id(value: str) -> bool:
    """Whether a string has upstream's node id syntax."""
    return len(value) <= MAX_NODE_ID_LENGTH and NODE_ID_PATTERN.fullmatch(value) is not None


def validate_node_id(value: str) -> None:
    """Refuse a node id that upstream would not accept."""
    if not is_node_id(value):
        raise ValidationError(
            f"Not a valid node id: 1-{MAX_NODE_ID_LENGTH} letters, digits, '.', '_' or '-', "
            "starting and ending with a letter or digit."
        )


def validate_path_segment(value: str, max_length: int = MAX_VERSION_LENGTH) -> None:
    """Refuse a value that could not safely become one segment of a file path or URL."""
    if value == "":
        raise ValidationError("Must not be empty.")
    if len(value) > max_length:
        raise ValidationError(f"Longer than {max_length} characters.")
    if "/" in value or "\\" in value:
        raise ValidationError("Must not contain '/' or '\\'.")
    if value in (".", "..") or ".." in value:
        raise ValidationError("Must not contain '..'.")
    if _CONTROL_CHARACTERS.search(value):
        raise ValidationError("Must not contain control characters.")


MAX_URL_LENGTH = 2048


def validate_download_url(value: str) -> None:
    """Refuse a download URL with control characters (they could forge the mirror's own URLs)."""
    if len(value) > MAX_URL_LENGTH:
        raise ValidationError(f"Longer than {MAX_URL_LENGTH} characters.")
    if _CONTROL_CHARACTERS.search(value):
        raise ValidationError("Must not contain control characters.")


def validate_version(value: str) -> None:
    """Refuse a version string that could escape an archive directory or break a URL."""
    validate_path_segment(value, MAX_VERSION_LENGTH)


def validate_publisher_id(value: str) -> None:
    """Refuse a publisher id that could escape a path (upstream puts it in download URLs)."""
    validate_path_segment(value, MAX_PUBLISHER_ID_LENGTH)
