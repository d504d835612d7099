"""Writing files whole or not at all: a temporary file beside the target, fsync, rename, fsync."""

import contextlib
import os
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

# Read once, while only one thread runs: os.umask can only be read by setting it.
_UMASK = os.umask(0)
os.umask(_UMASK)
# What a plain open() gives a new file; mkstemp's own files are private to their owner.
PLAIN_FILE_MODE = 0o666 & ~_UMASK


def fsync_folder(path: str) -> None:
    """Make a rename into, or a new entry in, the folder at `path` durable."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def move_into_place(
    source: str, target: str, mode: int | None = None, sync_folder: bool = True
) -> None:
    """Rename a finished file or folder over `target` (same file system), durably.

    Readers see the old `target` or the new one, never a part; `mode`, when given, is set first.
    The rename is durable once the folder is fsync'd: here, unless the caller batches that.
    """
    if mode is not None:
        os.chmod(source, mode)
    folder = os.path.dirname(os.path.abspath(target))
    os.makedirs(folder, exist_ok=True)
    os.replace(source, target)
    if sync_folder:
        fsync_folder(folder)


@contextlib.contextmanager
def atomic_file(path: str, mode: int = PLAIN_FILE_MODE) -> Iterator[BinaryIO]:
    """A binary file to write that becomes `path` only once the block ends without an error.

    It is written beside `path` and fsync'd before the rename, so after a crash `path` holds
    the old content or the new, whole; on an error the temporary file is removed.
    """
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        move_into_place(temporary, path, mode)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
