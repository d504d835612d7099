"""Reading dump files from disk: plain or gzip JSON, single files or folders of them."""

import gzip
import os
import zlib
from dataclasses import dataclass
from typing import Any

import orjson

from services.refusals import Refused

GZIP_MAGIC = b"\x1f\x8b"


class DumpRejected(Refused):
    """A dump that cannot be imported; nothing was written. Carries every problem found."""


@dataclass
class DumpDocument:
    """One parsed dump and the name its problems are reported under."""

    label: str
    content: Any


def dump_files(path: str) -> list[str]:
    """The dump files a PATH argument names: the file itself, or a folder's *.json and *.json.gz."""
    if os.path.isdir(path):
        names = sorted(name for name in os.listdir(path) if name.endswith((".json", ".json.gz")))
        if not names:
            raise DumpRejected([f"{path}: the folder holds no *.json or *.json.gz dump."])
        return [os.path.join(path, name) for name in names]
    if not os.path.exists(path):
        raise DumpRejected([f"{path}: no such file or folder."])
    return [path]


def parse_dump_bytes(label: str, raw: bytes) -> DumpDocument:
    """Decompress (by gzip magic bytes, whatever the suffix) and parse one dump."""
    if raw[:2] == GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise DumpRejected([f"{label}: not a readable gzip file ({exc})."]) from None
    try:
        return DumpDocument(label, orjson.loads(raw))
    except orjson.JSONDecodeError as exc:
        raise DumpRejected(
            [f"{label}: not valid UTF-8 JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}."]
        ) from None


def read_dump_file(path: str) -> DumpDocument:
    """Read and parse one dump file."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise DumpRejected([f"{path}: cannot be read ({exc.strerror})."]) from None
    return parse_dump_bytes(path, raw)
