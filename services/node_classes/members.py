"""The .py members of a node archive, read into memory within bounds, never extracted to disk."""

from dataclasses import dataclass, field
from typing import BinaryIO

from services.bundles.files import safe_member_path
from services.node_classes.limits import Deadline, NotIndexed, ScanLimits

# Bytes read from a member at a time: the caps are checked between chunks.
READ_CHUNK = 64 * 1024


@dataclass
class PackFiles:
    """The pack's readable .py members by path, and a note for each member skipped."""

    sources: dict[str, bytes] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    total_bytes: int = 0


def python_member_name(name: str, limits: ScanLimits) -> str | None:
    """The member's normalized path if it is a .py file with a sane name, else None."""
    if not name.endswith(".py") or len(name) > limits.max_name_chars:
        return None
    return safe_member_path(name)


def over_ratio(decompressed: int, compressed: int, limits: ScanLimits) -> bool:
    """Whether `decompressed` bytes from `compressed` ones look like a bomb."""
    return decompressed > limits.ratio_floor_bytes and decompressed > limits.max_ratio * max(
        compressed, 1
    )


def read_member(
    name: str, stream: BinaryIO, compressed: int | None, pack: PackFiles, limits: ScanLimits
) -> None:
    """Read one .py member in chunks into `pack`, skipping it (noted) past a cap."""
    chunks, size = [], 0
    while chunk := stream.read(READ_CHUNK):
        size += len(chunk)
        if size > limits.max_file_bytes:
            pack.notes.append(f"{name}: skipped: larger than {limits.max_file_bytes:,} bytes")
            return
        if compressed is not None and over_ratio(size, compressed, limits):
            pack.notes.append(f"{name}: skipped: compressed more than {limits.max_ratio}:1")
            return
        if pack.total_bytes + size > limits.max_total_bytes:
            raise NotIndexed(f"its .py files hold more than {limits.max_total_bytes:,} bytes")
        chunks.append(chunk)
    pack.total_bytes += size
    pack.sources.setdefault(name, b"".join(chunks))


def count_member(count: int, limits: ScanLimits, deadline: Deadline) -> int:
    """One more member seen: NotIndexed past the member cap or the deadline."""
    if count + 1 > limits.max_members:
        raise NotIndexed(f"it holds more than {limits.max_members:,} members")
    deadline.check()
    return count + 1
