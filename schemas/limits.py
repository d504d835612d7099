"""How much one value of a dump may hold: far above anything upstream serves, low enough that
no import can make every page of nodes or versions carry megabytes."""

import orjson

# Free text: a node's description, a version's changelog, status reasons and details, and a
# release note's content (markdown).
MAX_TEXT_LENGTH = 100_000
# Links: repository, icon, banner, logo, website, source code, support, download URL.
MAX_URL_LENGTH = 4_096
# Every other string: names, authors, licenses, categories, version ranges, and list items.
MAX_NAME_LENGTH = 1_000
# Items of a list of strings: tags, dependencies, supported OSes and accelerators, node names.
MAX_LIST_ITEMS = 1_000
# Structured values (translations, publisher members), measured as compact JSON.
MAX_STRUCTURED_BYTES = 200_000
# Every key one object holds that the mirror does not know, with its value, as compact JSON.
MAX_UNKNOWN_BYTES = 100_000
# A node class's input, output types and output names: JSON text upstream makes from ComfyUI's
# own declarations, where a list of choices (every model file, say) can run long.
MAX_JSON_TEXT_LENGTH = 1_000_000
# Node classes one version registers (the largest packs register a few hundred).
MAX_COMFY_NODES = 10_000
# A node class's name (real ones are under 100): at most 2,000 bytes of UTF-8, so that every
# backend can index it (PostgreSQL's B-tree entries hold at most about 2,700 bytes).
MAX_COMFY_NODE_NAME_LENGTH = 500

# Release notes one dump may carry: upstream publishes a few a month per project and locale.
MAX_RELEASE_NOTES = 10_000

TEXT_FIELDS = frozenset({"description", "changelog", "status_reason", "status_detail", "content"})
URL_FIELDS = frozenset(
    {
        "repository",
        "icon",
        "banner_url",
        "logo",
        "website",
        "source_code_repo",
        "support",
        "downloadUrl",
    }
)
STRUCTURED_FIELDS = frozenset({"translations", "members"})
JSON_TEXT_FIELDS = frozenset({"input_types", "return_types", "return_names"})


def json_size(value) -> int:
    """The bytes a parsed JSON value takes written compactly."""
    return len(orjson.dumps(value))


def string_limit(key: str) -> int:
    """The most characters the field a dump names `key` may hold."""
    if key in TEXT_FIELDS:
        return MAX_TEXT_LENGTH
    if key in JSON_TEXT_FIELDS:
        return MAX_JSON_TEXT_LENGTH
    if key in URL_FIELDS:
        return MAX_URL_LENGTH
    return MAX_NAME_LENGTH


def value_problems(key: str, value) -> list | dict | None:
    """What is too big about one known field's value, as marshmallow messages, or None."""
    if key in STRUCTURED_FIELDS:
        size = json_size(value)
        if size > MAX_STRUCTURED_BYTES:
            return [f"Holds {size:,} bytes of JSON, more than {MAX_STRUCTURED_BYTES:,}."]
        return None
    if isinstance(value, str):
        limit = string_limit(key)
        if len(value) > limit:
            return [f"Longer than {limit:,} characters ({len(value):,})."]
        return None
    if isinstance(value, list):
        if len(value) > MAX_LIST_ITEMS:
            return [f"More than {MAX_LIST_ITEMS:,} items ({len(value):,})."]
        long_items = {
            index: [f"Longer than {MAX_NAME_LENGTH:,} characters ({len(item):,})."]
            for index, item in enumerate(value)
            if isinstance(item, str) and len(item) > MAX_NAME_LENGTH
        }
        return long_items or None
    return None


def unknown_keys_problem(unknown: dict) -> str | None:
    """What is too big about the keys an object holds that the mirror does not know, or None."""
    size = json_size(unknown) if unknown else 0
    if size <= MAX_UNKNOWN_BYTES:
        return None
    largest = max(unknown, key=lambda name: json_size({name: unknown[name]}))
    return (
        f"Unknown keys hold {size:,} bytes of JSON together, more than {MAX_UNKNOWN_BYTES:,} "
        f"(the largest: {largest!r})."
    )
