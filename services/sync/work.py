"""An unfinished sync's folder, BUNDLE_DIR.partial: its state, its lock, its journal of archives.

A sync writes its bundle into BUNDLE_DIR.partial and renames it to BUNDLE_DIR only once the
manifest is written and every file re-hashes to what the manifest says, so BUNDLE_DIR is either
absent or a complete bundle. Beside the bundle's own files the folder holds:
- sync-state.json: what sync this is (upstream, options) and its snapshot (since, started_at);
  a later run with the same upstream and options resumes it, any other is refused.
- journal.jsonl: one line per archive downloaded whole (node_id, version, url, path, sha256,
  size), appended and fsync'd after the archive itself was fsync'd and renamed into place.
- .lock: held (flock) while a sync works here, so two runs never write the same folder.
These three are removed once the bundle is in place; the bundle reader ignores unlisted files.
"""

import contextlib
import fcntl
import os
import re
import shutil

import orjson

from services.bundles.files import archive_member_path
from services.bundles.reader import BundleRejected, bundle_problems
from services.bundles.writer import write_dump_and_manifest
from services.dumps.reader import DumpRejected
from services.files import atomic_file, fsync_folder, move_into_place
from services.refusals import Refused

STATE = "sync-state.json"
JOURNAL = "journal.jsonl"
LOCK = ".lock"
_BOOKKEEPING = (STATE, JOURNAL, LOCK)
# Problems named when a finished bundle does not match its manifest.
LISTED_PROBLEMS = 5


class SyncRefused(Refused):
    """A sync that wrote no bundle and left the mirror unchanged; each problem says what to do."""


class SyncWork:
    """The .partial folder of one sync, locked for as long as this object is open."""

    def __init__(self, path: str, final: str | None, lock_handle, state: dict | None):
        self.path = path
        self.final = final
        self._lock = lock_handle
        # The saved state when this run resumes an earlier one, else None.
        self.resumed_state = state

    @classmethod
    def open(cls, path: str, final: str | None, identity: dict, private: bool) -> "SyncWork":
        """Lock the folder at `path` (made if missing) for the sync `identity` describes.

        A leftover of another sync is refused, or, in a `private` folder (a sync into this
        mirror), discarded.
        """
        if final is not None and os.path.lexists(final):
            raise SyncRefused(
                [
                    f"{final} already exists: a finished bundle is never overwritten. "
                    "Choose another --out, or remove it first."
                ]
            )
        os.makedirs(path, exist_ok=True)
        lock_handle = open(os.path.join(path, LOCK), "a+")  # noqa: SIM115 (held until close)
        try:
            fcntl.flock(lock_handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_handle.close()
            raise SyncRefused(
                [f"another sync is writing {path}; wait for it to finish (or stop it) first."]
            ) from None
        state = _read_state(path)
        leftovers = [name for name in os.listdir(path) if name not in _BOOKKEEPING]
        same = state is not None and state.get("identity") == identity
        if not same and (state is not None or leftovers):
            if not private:
                lock_handle.close()
                what = _describe(state) if state is not None else "files that are not a sync's"
                raise SyncRefused(
                    [
                        f"{path} holds {what}. Run that same sync again to resume it, "
                        f"or remove {path} to start this one."
                    ]
                )
            _empty_folder(path)
            state = None
        return cls(path, final, lock_handle, state if same else None)

    def save_state(self, state: dict) -> None:
        """Record what this sync is and its snapshot, so a rerun can resume it."""
        with atomic_file(os.path.join(self.path, STATE)) as out:
            out.write(orjson.dumps(state, option=orjson.OPT_INDENT_2))

    def journaled(self) -> dict[tuple[str, str], dict]:
        """Archives an earlier run finished, by (lower-cased node id, version).

        A line torn by a crash while it was written is skipped.
        """
        entries: dict[tuple[str, str], dict] = {}
        with (
            contextlib.suppress(FileNotFoundError),
            open(os.path.join(self.path, JOURNAL), "rb") as journal,
        ):
            for line in journal:
                try:
                    entry = orjson.loads(line)
                    entries[(entry["node_id"].lower(), entry["version"])] = entry
                except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
                    continue
        return entries

    def worth_resuming(self) -> bool:
        """Whether the folder still exists and holds archives a rerun would reuse."""
        try:
            return os.path.getsize(os.path.join(self.path, JOURNAL)) > 0
        except FileNotFoundError:
            return False

    def record(self, entry: dict) -> None:
        """Append one finished archive to the journal, durably."""
        with open(os.path.join(self.path, JOURNAL), "ab") as journal:
            journal.write(orjson.dumps(entry) + b"\n")
            journal.flush()
            os.fsync(journal.fileno())

    def archive_target(self, node_id: str, version: str) -> tuple[str, str]:
        """Where a version's archive goes: (path inside the bundle, path on disk).

        The node id and version were validated (no separators, no '..') before this is called.
        """
        relative = archive_member_path(node_id, version)
        absolute = os.path.join(self.path, relative)
        os.makedirs(os.path.dirname(absolute), exist_ok=True)
        return relative, absolute

    def drop_unlisted_archives(self, listed: set[str]) -> None:
        """Remove archives (and torn downloads) the manifest will not name."""
        root = os.path.join(self.path, "archives")
        for folder, _, names in os.walk(root, topdown=False):
            for name in names:
                path = os.path.join(folder, name)
                if os.path.relpath(path, self.path).replace(os.sep, "/") not in listed:
                    os.unlink(path)
            if folder != root and not os.listdir(folder):
                os.rmdir(folder)

    def write_bundle(self, document: dict, entries: list[dict], source: str) -> None:
        """The dump, then the manifest naming it and every archive in `entries`."""
        self.drop_unlisted_archives({entry["path"] for entry in entries})
        write_dump_and_manifest(self.path, document, entries, source)

    def finish(self) -> None:
        """Check every file against the manifest, then move the bundle into place."""
        problems = bundle_problems(self.path)
        if problems:
            raise SyncRefused(
                [
                    f"the bundle written in {self.path} does not match its manifest:",
                    *problems[:LISTED_PROBLEMS],
                ]
            )
        fsync_folder(self.path)
        move_into_place(self.path, self.final)
        for name in _BOOKKEEPING:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(self.final, name))
        self.close()

    def discard(self) -> None:
        """Remove the folder and everything in it."""
        self.close()
        shutil.rmtree(self.path, ignore_errors=True)

    def close(self) -> None:
        """Release the lock; the folder stays for a later run to resume."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None


def _read_state(path: str) -> dict | None:
    try:
        with open(os.path.join(path, STATE), "rb") as handle:
            state = orjson.loads(handle.read())
    except (FileNotFoundError, orjson.JSONDecodeError):
        return None
    return state if isinstance(state, dict) else None


def _describe(state: dict) -> str:
    identity = state.get("identity") or {}
    options = ", ".join(f"{key}={value}" for key, value in identity.items() if key != "upstream")
    return f"an unfinished sync from {identity.get('upstream')} with other options ({options})"


def _empty_folder(path: str) -> None:
    for name in os.listdir(path):
        if name == LOCK:
            continue
        target = os.path.join(path, name)
        if os.path.isdir(target) and not os.path.islink(target):
            shutil.rmtree(target)
        else:
            os.unlink(target)


def sync_refusal(exc: Refused, document: dict | None) -> SyncRefused:
    """A refusal met on the way, as the sync's own; `document` is its dump, once made."""
    if isinstance(exc, SyncRefused):
        return exc
    if isinstance(exc, DumpRejected | BundleRejected):
        return SyncRefused(
            ["the upstream's data was refused:", *_by_node_id(exc.problems, document)]
        )
    return SyncRefused(exc.problems)


def _by_node_id(problems: list[str], document: dict | None) -> list[str]:
    """Problems with the places in the sync's own dump ("nodes[12]") named by node id."""
    if document is None:
        return problems
    ids = [node.get("id") for node in document["nodes"]]

    def by_id(match: re.Match) -> str:
        index = int(match.group(1))
        return f"node {ids[index]!r}" if index < len(ids) else match.group(0)

    return [re.sub(r"nodes\[(\d+)\]", by_id, problem) for problem in problems]
