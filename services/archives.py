"""Node archives on disk, content-addressed by sha256 so identical archives are stored once."""

import contextlib
import fcntl
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

COPY_CHUNK = 1024 * 1024
STAGING_PREFIX = ".staging-"
# Held (shared) by every running import for its whole duration; see StoreLock.
LOCK_FILE = ".lock"


def file_digest(path: str) -> tuple[str, int]:
    """A file's sha256 (hex) and size, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(COPY_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


@dataclass
class StagedArchive:
    """An archive copied into the staging area and verified, waiting for its import to commit."""

    node_id: str
    version: str
    sha256: str
    size: int
    staged_path: str


class StoreLock:
    """The archive directory's lock file, open until the `ArchiveStore.lock()` block ends.

    Running imports hold it shared, from before they stage anything until after they commit
    or undo. Removing leftovers (staging folders, archives no version refers to) needs it
    alone: then no import is running, so whatever is left was left by one that died.
    """

    def __init__(self, descriptor: int):
        self._descriptor = descriptor

    def try_alone(self) -> bool:
        """Take the lock alone if no import holds it; never waits."""
        try:
            fcntl.flock(self._descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def share(self) -> None:
        """Hold the lock beside other imports, waiting while a repair holds it alone."""
        fcntl.flock(self._descriptor, fcntl.LOCK_SH)


class ArchiveStore:
    """The archive directory: `<root>/<sha256[:2]>/<sha256>.zip`, plus a staging area."""

    def __init__(self, root: str):
        self.root = os.path.abspath(root)

    def path_for(self, sha256: str) -> str:
        """Where the archive with this digest lives."""
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a sha256 digest: {sha256!r}")
        return os.path.join(self.root, sha256[:2], f"{sha256}.zip")

    def has(self, sha256: str) -> bool:
        """Whether the archive with this digest is stored."""
        return os.path.isfile(self.path_for(sha256))

    def staging_area(self) -> str:
        """A new private folder inside the store for one import's archives."""
        os.makedirs(self.root, exist_ok=True)
        return tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.root)

    @contextlib.contextmanager
    def lock(self) -> Iterator[StoreLock]:
        """The store's lock file, held as the block asks and released when it ends."""
        os.makedirs(self.root, exist_ok=True)
        descriptor = os.open(os.path.join(self.root, LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            yield StoreLock(descriptor)
        finally:
            os.close(descriptor)

    def stage(self, source: BinaryIO, staging: str, node_id: str, version: str) -> StagedArchive:
        """Copy an archive into `staging` while hashing it."""
        digest = hashlib.sha256()
        size = 0
        handle, path = tempfile.mkstemp(dir=staging, suffix=".zip")
        with os.fdopen(handle, "wb") as out:
            while chunk := source.read(COPY_CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        return StagedArchive(node_id, version, digest.hexdigest(), size, path)

    def publish(self, staged: Iterable[StagedArchive], created: list[str]) -> None:
        """Move staged archives into place, adding each path new to the store to `created`."""
        for archive in staged:
            target = self.path_for(archive.sha256)
            if os.path.exists(target):
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.chmod(archive.staged_path, 0o644)
            os.replace(archive.staged_path, target)
            created.append(target)

    @staticmethod
    def discard(staging: str | None) -> None:
        """Remove a staging folder and whatever is left in it."""
        if staging:
            shutil.rmtree(staging, ignore_errors=True)

    @staticmethod
    def unpublish(paths: Iterable[str]) -> None:
        """Remove archives an import published before it failed."""
        for path in paths:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            with contextlib.suppress(OSError):
                os.rmdir(os.path.dirname(path))  # only if no other archive shares the prefix
