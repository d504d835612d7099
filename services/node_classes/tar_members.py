"""A tar.gz's .py members, streamed once: links, devices and oversized headers refused."""

import gzip
import tarfile
import zlib
from pathlib import Path
from typing import BinaryIO

from services.node_classes.limits import Deadline, NotIndexed, ScanLimits
from services.node_classes.members import (
    READ_CHUNK,
    PackFiles,
    count_member,
    over_ratio,
    python_member_name,
    read_member,
)

# Long-name and pax headers are read whole into memory by tarfile: none needs more.
MAX_HEADER_BYTES = 1024 * 1024
EXTENDED_HEADERS = (
    tarfile.XHDTYPE,
    tarfile.XGLTYPE,
    tarfile.SOLARIS_XHDTYPE,
    tarfile.GNUTYPE_LONGNAME,
    tarfile.GNUTYPE_LONGLINK,
)


class BoundedTarInfo(tarfile.TarInfo):
    """A tar header that refuses an extended header too large to hold in memory."""

    def _proc_member(self, tar):
        """Refuse an oversized extended header before tarfile reads it whole."""
        if self.type in EXTENDED_HEADERS and self.size > MAX_HEADER_BYTES:
            raise tarfile.HeaderError(f"an extended header of {self.size:,} bytes")
        return super()._proc_member(tar)


class CountedStream:
    """A readable stream that counts the bytes read through it."""

    def __init__(self, stream: BinaryIO):
        self.stream = stream
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        """Read as asked, counting."""
        chunk = self.stream.read(size)
        self.count += len(chunk)
        return chunk


class GuardedStream(CountedStream):
    """The decompressed tar stream, stopped past the ratio over the compressed bytes or time."""

    def __init__(self, stream, compressed: CountedStream, limits: ScanLimits, deadline: Deadline):
        super().__init__(stream)
        self.compressed, self.limits, self.deadline = compressed, limits, deadline

    def read(self, size: int = -1) -> bytes:
        """Read at most one chunk's worth at a time, checking the ratio and the time."""
        chunk = super().read(READ_CHUNK if size < 0 else min(size, READ_CHUNK))
        if over_ratio(self.count, self.compressed.count, self.limits):
            raise NotIndexed(f"it decompresses more than {self.limits.max_ratio}:1")
        self.deadline.check()
        return chunk


def read_tar_gz(path: Path, pack: PackFiles, limits: ScanLimits, deadline: Deadline) -> None:
    """Read the tar.gz's regular .py members into `pack`; NotIndexed if it is unreadable."""
    with open(path, "rb") as raw:
        compressed = CountedStream(raw)
        stream = GuardedStream(gzip.GzipFile(fileobj=compressed), compressed, limits, deadline)
        try:
            with tarfile.open(fileobj=stream, mode="r|", tarinfo=BoundedTarInfo) as tar:
                read_tar_members(tar, pack, limits, deadline)
        except (tarfile.TarError, zlib.error, EOFError, OSError) as exc:
            raise NotIndexed(f"not a readable tar.gz: {exc}") from None


def read_tar_members(
    tar: tarfile.TarFile, pack: PackFiles, limits: ScanLimits, deadline: Deadline
) -> None:
    """Walk the tar once, reading each regular .py member with a sane name."""
    count = 0
    for member in tar:
        count = count_member(count, limits, deadline)
        name = python_member_name(member.name, limits)
        if name is None:
            continue
        if not member.isreg() or member.issparse():
            pack.notes.append(f"{name}: skipped: not a regular file")
            continue
        if member.size > limits.max_file_bytes:
            pack.notes.append(f"{name}: skipped: larger than {limits.max_file_bytes:,} bytes")
            continue
        read_member(name, tar.extractfile(member), None, pack, limits)
