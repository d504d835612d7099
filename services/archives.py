"""Node archives on disk, content-addressed by sha256 so identical archives are stored once."""

import contextlib
import fcntl
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from services.digests import copy_hashing, read_in_chunks
from services.files import fsync_folder, move_into_place

# Held (shared) by every running import for its whole duration; see StoreLock.
LOCK_FILE = ".lock"

# Archives are served to everyone: readable by all whatever the umask.
ARCHIVE_MODE = 0o644
# How staging folders inside the store begin, which verify tells apart from archives.
STAGING_PREFIX = ".staging-"


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

    def share(self, blocked: Callable[[], None] | None = None) -> None:
        """Hold the lock beside other imports, waiting while a repair holds it alone.

        `blocked` is called first when the lock is not free: to say so, or to refuse by raising.
        """
        if blocked is not None:
            try:
                fcntl.flock(self._descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                blocked()
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
        """Copy an archive into `staging` while hashing it, and make the copy durable."""
        handle, path = tempfile.mkstemp(dir=staging, suffix=".zip")
        with os.fdopen(handle, "wb") as out:
            sha256, size = copy_hashing(read_in_chunks(source), out)
            out.flush()
            # Synced now, so that publishing is only a rename: the archive is whole after a crash.
            os.fsync(out.fileno())
        return StagedArchive(node_id, version, sha256, size, path)

    def publish(self, staged: Iterable[StagedArchive], created: list[str]) -> None:
        """Move staged archives into place, adding each path new to the store to `created`."""
        folders = set()
        for archive in staged:
            if not self.has(archive.sha256):
                created.append(self.place(archive, sync_folder=False))
                folders.add(os.path.dirname(created[-1]))
        # Once per prefix folder, not per archive: an import may bring tens of thousands.
        for folder in sorted(folders):
            fsync_folder(folder)

    def place(self, archive: StagedArchive, sync_folder: bool = True) -> str:
        """Move a staged archive where its digest says, over whatever is there; return the path.

        Staging is inside the store, so this is a rename: never half an archive in place.
        """
        target = self.path_for(archive.sha256)
        move_into_place(archive.staged_path, target, ARCHIVE_MODE, sync_folder)
        return target

    @staticmethod
    def discard(staging: str | None) -> None:
        """Remove a staging folder and whatever is left in it."""
        if staging:
            shutil.rmtree(staging, ignore_errors=True)

    @staticmethod
    def unpublish(paths: Iterable[str]) -> None:
        """Remove archive files (a failed import's, or orphans) and prefix folders left empty."""
        for path in paths:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            with contextlib.suppress(OSError):
                os.rmdir(os.path.dirname(path))  # only if no other archive shares the prefix
