"""The seed document (the upstream OpenAPI text of the bulk endpoint), loaded for tests."""

import os
import re
from functools import cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MIRROR_SHARED_DIR", ROOT.parent / "shared"))


@cache
def seed_document() -> dict:
    """The seed's OpenAPI document, parsed from the YAML block of the seed text."""
    seeds = sorted((SHARED / "seed").glob("*.txt"))
    if not seeds:
        raise FileNotFoundError(
            f"no seed document under {SHARED / 'seed'}: set MIRROR_SHARED_DIR to the shared folder"
        )
    text = seeds[0].read_text()
    block = re.search(r"````yaml[^\n]*\n(.*?)\n````", text, re.S)
    return yaml.safe_load(block.group(1))


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
    """One of the seed's component schemas, dereferenced."""
    document = seed_document()
    return dereference(document["components"]["schemas"][name], document)
