"""Reading dump files from disk: plain or gzip JSON, single files or folders of them.

Reading is bounded: a dump may hold at most `DumpLimits.max_bytes` once decompressed, and a
compressed one may not expand more than `max_ratio` times, so a small hostile file is refused
after a few megabytes of work instead of exhausting memory.
"""

import gzip
import io
import os
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

import orjson

from services.refusals import Refused

GZIP_MAGIC = b"\x1f\x8b"
# Far above the whole upstream registry (100-300 MB of JSON), far below what parsing can afford.
DEFAULT_MAX_DUMP_BYTES = 1024**3
# Real JSON compresses 5-20 times; 200 is only reached by repetition no registry holds.
DEFAULT_MAX_DUMP_RATIO = 200
# The ratio is judged only past this many decompressed bytes: a small dump may be as repetitive
# as it likes, and the first chunks say nothing about the whole.
RATIO_CHECKED_FROM = 16 * 1024 * 1024
INFLATE_CHUNK = 1024 * 1024


class DumpRejected(Refused):
    """A dump that cannot be imported; nothing was written. Carries every problem found."""


@dataclass(frozen=True)
class DumpLimits:
    """How much reading one dump (or manifest) may cost: its size, and how far it may expand."""

    max_bytes: int = DEFAULT_MAX_DUMP_BYTES
    max_ratio: int = DEFAULT_MAX_DUMP_RATIO

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "DumpLimits":
        """The limits an app is configured with (MIRROR_MAX_DUMP_BYTES, MIRROR_MAX_DUMP_RATIO)."""
        return cls(config["MAX_DUMP_BYTES"], config["MAX_DUMP_RATIO"])

    def oversized(self, label: str, size: int) -> str | None:
        """The problem with a file of `size` bytes, if it is larger than a dump may be."""
        if size <= self.max_bytes:
            return None
        return (
            f"{label}: {size:,} bytes, more than {self.max_bytes:,} "
            "(MIRROR_MAX_DUMP_BYTES): refused."
        )

    def check_size(self, label: str, size: int) -> None:
        """Refuse a file larger than a dump may be, before any of it is read."""
        problem = self.oversized(label, size)
        if problem is not None:
            raise DumpRejected([problem])


# What an import reads with when the caller names no limits (benchmarks; library use).
DEFAULT_LIMITS = DumpLimits()


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


def read_limited(label: str, stream: BinaryIO, limits: DumpLimits) -> bytes:
    """Read a whole stream, refusing it as soon as it holds more than a dump may."""
    raw = stream.read(limits.max_bytes + 1)
    # The size was checked before reading, but a file may grow while it is read.
    limits.check_size(label, len(raw))
    return raw


def inflate(label: str, stream: BinaryIO, limits: DumpLimits) -> bytearray:
    """Decompress a gzip stream piece by piece, refusing it once it expands past the limits."""
    inflated = bytearray()
    try:
        with gzip.GzipFile(fileobj=stream, mode="rb") as unzipped:
            while chunk := unzipped.read(INFLATE_CHUNK):
                inflated += chunk
                if len(inflated) > limits.max_bytes:
                    raise DumpRejected(
                        [
                            f"{label}: expands beyond {limits.max_bytes:,} bytes "
                            "(MIRROR_MAX_DUMP_BYTES): refused."
                        ]
                    )
                read = max(stream.tell(), 1)
                if len(inflated) > RATIO_CHECKED_FROM and len(inflated) > limits.max_ratio * read:
                    raise DumpRejected(
                        [
                            f"{label}: expands more than {limits.max_ratio} times its compressed "
                            "size (MIRROR_MAX_DUMP_RATIO): refused as a decompression bomb."
                        ]
                    )
    except (OSError, EOFError, zlib.error) as exc:
        raise DumpRejected([f"{label}: not a readable gzip file ({exc})."]) from None
    return inflated


def parse_dump(label: str, raw: bytes | bytearray) -> DumpDocument:
    """Parse one decompressed dump."""
    try:
        return DumpDocument(label, orjson.loads(raw))
    except orjson.JSONDecodeError as exc:
        raise DumpRejected(
            [f"{label}: not valid UTF-8 JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}."]
        ) from None


def parse_dump_bytes(label: str, raw: bytes, limits: DumpLimits) -> DumpDocument:
    """Decompress (by gzip magic bytes, whatever the suffix) and parse one dump."""
    if raw[:2] == GZIP_MAGIC:
        return parse_dump(label, inflate(label, io.BytesIO(raw), limits))
    limits.check_size(label, len(raw))
    return parse_dump(label, raw)


def read_dump_file(path: str, limits: DumpLimits) -> DumpDocument:
    """Read and parse one dump file, never holding more of it than the limits allow."""
    try:
        with open(path, "rb") as handle:
            limits.check_size(path, os.fstat(handle.fileno()).st_size)
            compressed = handle.read(2) == GZIP_MAGIC
            handle.seek(0)
            raw = (
                inflate(path, handle, limits) if compressed else read_limited(path, handle, limits)
            )
    except OSError as exc:
        raise DumpRejected([f"{path}: cannot be read ({exc.strerror})."]) from None
    return parse_dump(path, raw)
