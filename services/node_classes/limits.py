"""The bounds one archive's scan keeps to: bytes, members, compression ratio, depth and time."""

import time
from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class ScanLimits:
    """How much of one archive the scanner reads, parses and follows before it gives up."""

    # A .py member larger than this is skipped (read in chunks: its declared size is not trusted).
    max_file_bytes: int = 4 * MIB
    # Past this many .py bytes read from one archive, the pack is not indexed.
    max_total_bytes: int = 64 * MIB
    # Past this many .py bytes parsed (trimmed syntax trees are kept for the whole scan),
    # further modules are left unresolved.
    max_parsed_bytes: int = 16 * MIB
    # An archive listing more members than this (all kinds, not only .py) is not indexed.
    max_members: int = 20_000
    # Decompressed bytes per compressed byte, for one member and for the whole archive; only
    # checked past `ratio_floor_bytes`, so a small, very regular file is still read.
    max_ratio: int = 100
    ratio_floor_bytes: int = 1 * MIB
    # A member name longer than this is skipped as absurd.
    max_name_chars: int = 1024
    # A source line longer than this marks generated data, not code: the file is skipped.
    max_line_chars: int = 100_000
    # How deep the scanner follows nested expressions, imports and base classes.
    max_depth: int = 40
    # Statements the scanner follows in one pack (loops included), and items kept per loop.
    max_statements: int = 200_000
    max_loop_items: int = 1_000
    # Node classes kept per pack, and the longest node class name kept.
    max_comfy_nodes: int = 10_000
    max_node_name_chars: int = 500
    # Wall-clock seconds per archive, checked between members and between files; a pool of
    # scanning processes (pool.py) ends one whose scan runs half as long again.
    max_seconds: float = 30.0
    # A scanning process's address space (pool.py sets it): parsing the largest file the caps
    # allow peaks near 600 MB.
    max_memory_bytes: int = 1024 * MIB


# The bounds every scan keeps to unless told others.
DEFAULT_SCAN_LIMITS = ScanLimits()


class NotIndexed(Exception):
    """Why a pack cannot be indexed: its archive is unreadable or breaks a bound."""


class Deadline:
    """The moment a scan must stop by, checked cooperatively between members and files."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def check(self) -> None:
        """Raise NotIndexed once the time is up."""
        if time.monotonic() > self.at:
            raise NotIndexed(f"reading it took longer than {self.seconds:g} s")
