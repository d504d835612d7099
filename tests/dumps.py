"""Building and writing seed dumps for tests, in the documented dump format."""

import gzip
import json
from pathlib import Path


def version(number: str, **fields) -> dict:
    """A NodeVersion as a dump carries it; any upstream field may be given."""
    return {"version": number, **fields}


def node(node_id: str, *versions: dict, **fields) -> dict:
    """A Node as a dump carries it, with its versions."""
    return {"id": node_id, **fields, "versions": list(versions)}


def dump(*nodes: dict, publishers: list | None = None, **top) -> dict:
    """A whole dump document."""
    document = {"format": "comfy-registry-dump", "format_version": 1, "nodes": list(nodes)}
    if publishers is not None:
        document["publishers"] = publishers
    document.update(top)
    return document


def write(path: Path, document: dict, compress: bool = False) -> Path:
    """Write a dump, gzip-compressed when asked (whatever the file's suffix)."""
    raw = json.dumps(document).encode()
    path.write_bytes(gzip.compress(raw) if compress else raw)
    return path


def import_dump(runner, tmp_path: Path, document: dict, *options: str, name: str = "dump.json"):
    """Write `document` and run `flask mirror import` on it; returns the click result."""
    path = write(tmp_path / name, document)
    return runner.invoke(args=["mirror", "import", *options, str(path)])
