"""The sha256 and size of bytes as they stream past: of a file, or of a copy being written."""

import hashlib
from collections.abc import Iterable, Iterator
from typing import BinaryIO

# Bytes read at a time: large enough to hash at disk speed, small enough to stay in cache.
COPY_CHUNK = 1024 * 1024


def read_in_chunks(stream: BinaryIO, size: int = COPY_CHUNK) -> Iterator[bytes]:
    """A readable stream's bytes, `size` at a time, to the end."""
    while chunk := stream.read(size):
        yield chunk


def copy_hashing(chunks: Iterable[bytes], out: BinaryIO | None = None) -> tuple[str, int]:
    """Write `chunks` to `out` (when given) while hashing them: their sha256 (hex) and size."""
    digest = hashlib.sha256()
    size = 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
        if out is not None:
            out.write(chunk)
    return digest.hexdigest(), size


def file_digest(path: str) -> tuple[str, int]:
    """A file's sha256 (hex) and size, read in chunks."""
    with open(path, "rb") as handle:
        return copy_hashing(read_in_chunks(handle))
