"""The upstream's definition of the bulk endpoint (tests/data/upstream-bulk-openapi.yaml),
loaded for tests."""

from functools import cache
from pathlib import Path

import yaml

UPSTREAM_BULK = Path(__file__).resolve().parent / "data" / "upstream-bulk-openapi.yaml"


@cache
def seed_document() -> dict:
    """The upstream's OpenAPI document of the bulk endpoint, as the project keeps a copy of it."""
    return yaml.safe_load(UPSTREAM_BULK.read_text())


def dereference(node, document: dict):
    """`node` with every local $ref replaced by what it points at, recursively."""
    if isinstance(node, dict):
        if "$ref" in node:
            target = document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return dereference(target, document)
        return {
            key: sorted(value)
            if key == "required" and isinstance(value, list)
            else dereference(value, document)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [dereference(item, document) for item in node]
    return node


def seed_schema(name: str) -> dict:
    """One of the upstream's component schemas of the bulk endpoint, dereferenced."""
    document = seed_document()
    return dereference(document["components"]["schemas"][name], document)
