"""A zip's .py members, after checking its central directory's size before zipfile loads it."""

import os
import struct
import zipfile
import zlib
from pathlib import Path

from services.node_classes.limits import Deadline, NotIndexed, ScanLimits
from services.node_classes.members import (
    PackFiles,
    count_member,
    over_ratio,
    python_member_name,
    read_member,
)

END_RECORD = b"PK\x05\x06"
ZIP64_LOCATOR = b"PK\x06\x07"
ZIP64_END_RECORD = b"PK\x06\x06"
# The end record is 22 bytes plus a comment of at most 65,535.
END_SEARCH = 22 + 65_535
# Bytes of central directory allowed per member: zipfile holds every entry in memory.
DIRECTORY_BYTES_PER_MEMBER = 512
SYMLINK_MODE = 0o120000
FILE_TYPE_MASK = 0o170000
ENCRYPTED_FLAG = 0x1


def directory_size(path: Path) -> tuple[int, int]:
    """The member count and central directory size the zip's end record declares."""
    with open(path, "rb") as handle:
        size = handle.seek(0, os.SEEK_END)
        handle.seek(max(0, size - END_SEARCH))
        tail = handle.read()
        at = tail.rfind(END_RECORD)
        if at < 0 or len(tail) - at < 22:
            raise NotIndexed("not a readable zip: no end of central directory")
        count, cd_bytes = struct.unpack("<HI", tail[at + 10 : at + 16])
        locator = tail[at - 20 : at] if at >= 20 else b""
        if locator.startswith(ZIP64_LOCATOR):
            (offset,) = struct.unpack("<Q", locator[8:16])
            handle.seek(min(offset, size))
            record = handle.read(56)
            if record.startswith(ZIP64_END_RECORD) and len(record) == 56:
                count, cd_bytes = struct.unpack("<QQ", record[32:48])
    return count, cd_bytes


def check_directory(path: Path, limits: ScanLimits) -> None:
    """NotIndexed if the central directory lists too many members or is too large."""
    count, cd_bytes = directory_size(path)
    if count > limits.max_members:
        raise NotIndexed(f"it holds more than {limits.max_members:,} members")
    if cd_bytes > limits.max_members * DIRECTORY_BYTES_PER_MEMBER:
        raise NotIndexed(f"its central directory is larger than {limits.max_members:,} members")


def skipped_reason(info: zipfile.ZipInfo) -> str | None:
    """Why a .py member is not read (a link or encrypted), or None."""
    if (info.external_attr >> 16) & FILE_TYPE_MASK == SYMLINK_MODE:
        return "a symbolic link"
    if info.flag_bits & ENCRYPTED_FLAG:
        return "encrypted"
    return None


def read_zip(path: Path, pack: PackFiles, limits: ScanLimits, deadline: Deadline) -> None:
    """Read the zip's .py members into `pack`; NotIndexed if the zip itself is unreadable."""
    check_directory(path, limits)
    archive_bytes = os.path.getsize(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error) as exc:
        raise NotIndexed(f"not a readable zip: {exc}") from None
    with archive:
        count = 0
        for info in archive.infolist():
            count = count_member(count, limits, deadline)
            name = None if info.is_dir() else python_member_name(info.filename, limits)
            if name is None:
                continue
            reason = skipped_reason(info)
            if reason:
                pack.notes.append(f"{name}: skipped: {reason}")
                continue
            try:
                with archive.open(info) as stream:
                    read_member(name, stream, info.compress_size, pack, limits)
            except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError) as exc:
                pack.notes.append(f"{name}: skipped: unreadable ({exc})")
            except NotImplementedError:
                pack.notes.append(f"{name}: skipped: an unsupported compression method")
            if over_ratio(pack.total_bytes, archive_bytes, limits):
                raise NotIndexed(f"it decompresses more than {limits.max_ratio}:1")
