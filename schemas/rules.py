"""The registry's rules for ids and version strings, shared by dump validation and look-ups."""

import re
import unicodedata

from marshmallow import ValidationError

from schemas.limits import MAX_URL_LENGTH

# Upstream's node id syntax (1-100 characters).
NODE_ID_PATTERN = re.compile(r"[a-zA-Z0-9](?:[a-zA-Z0-9._-]*[a-zA-Z0-9])?")
MAX_NODE_ID_LENGTH = 100
# Versions become archive paths and URL segments; longer strings are never legitimate.
MAX_VERSION_LENGTH = 255
MAX_PUBLISHER_ID_LENGTH = 100
# Upstream makes publisher ids of lower-case letters, digits and '-'; the mirror also takes the
# rest of the node id alphabet, but nothing beyond ASCII, so no id passes for another in a
# look-alike script.
PUBLISHER_ID_PATTERN = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9._-]*")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# What no id or version may hold, being invisible or changing how the rest displays: format
# characters (zero-width spaces, bidi overrides), private use and surrogate code points, line and
# paragraph separators. Control characters (Cc) are refused first, with their own message.
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Co", "Cs", "Zl", "Zp"})


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
    """Refuse a value that could not safely become one segment of a file path or URL, or that
    could pass for another."""
    if value == "":
        raise ValidationError("Must not be empty.")
    if len(value) > max_length:
        raise ValidationError(f"Longer than {max_length} characters.")
    if "/" in value or "\\" in value:
        raise ValidationError("Must not contain '/' or '\\'.")
    if value in (".", "..") or ".." in value:
        raise ValidationError("Must not contain '..'.")
    validate_unambiguous(value)


def validate_no_control_characters(value: str) -> None:
    """Refuse C0 and C1 control characters: they forge URLs, and a NUL ends a SQLite pattern."""
    if _CONTROL_CHARACTERS.search(value):
        raise ValidationError("Must not contain control characters.")


def validate_unambiguous(value: str) -> None:
    """Refuse a string that could pass for another: invisible characters, blanks, look-alikes."""
    validate_no_control_characters(value)
    for character in value:
        if unicodedata.category(character) in _INVISIBLE_CATEGORIES:
            name = unicodedata.name(character, "unnamed")
            raise ValidationError(
                f"Must not contain invisible characters (U+{ord(character):04X} {name})."
            )
    if value.strip() == "":
        raise ValidationError("Must not be only whitespace.")
    if value != value.strip():
        raise ValidationError("Must not begin or end with whitespace.")
    normal = unicodedata.normalize("NFKC", value)
    if normal != value:
        raise ValidationError(
            f"Must be in Unicode normal form NFKC: {value!r} passes for {normal!r}."
        )


def validate_download_url(value: str) -> None:
    """Refuse a download URL with control characters (they could forge the mirror's own URLs)."""
    if len(value) > MAX_URL_LENGTH:
        raise ValidationError(f"Longer than {MAX_URL_LENGTH:,} characters.")
    validate_no_control_characters(value)


def validate_version(value: str) -> None:
    """Refuse a version string that could escape an archive directory or break a URL."""
    validate_path_segment(value, MAX_VERSION_LENGTH)


def validate_publisher_id(value: str) -> None:
    """Refuse a publisher id that could escape a path (upstream puts it in download URLs) or
    pass for another one."""
    validate_path_segment(value, MAX_PUBLISHER_ID_LENGTH)
    if PUBLISHER_ID_PATTERN.fullmatch(value) is None:
        raise ValidationError(
            f"Not a valid publisher id: 1-{MAX_PUBLISHER_ID_LENGTH} ASCII letters, digits, '.', "
            "'_' or '-', starting with a letter or digit."
        )
