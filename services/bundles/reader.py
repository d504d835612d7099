"""Reading bundles (a dump plus node archives), verifying every file before anything is written.

In two stages, so an import validates the dump before it copies a single archive: open_bundle()
checks the manifest, the dump's sha256, and each archive's place and size; OpenBundle.stage()
then copies the archives into the archive store's staging area while hashing them.

Bundle tars are read uncompressed and without sparse members: both would let a small file stand
for gigabytes, and the mirror never writes either.
"""

import os
import tarfile
import zlib
from dataclasses import dataclass, field
from typing import BinaryIO

import orjson
from marshmallow import ValidationError

from schemas.bundle import BUNDLE_FORMAT_VERSION, BundleManifestSchema
from schemas.errors import flatten_messages
from services.archives import ArchiveStore, StagedArchive
from services.bundles.files import (
    MANIFEST,
    BundleFolder,
    BundleTar,
    SparseMember,
    open_files,
    safe_member_path,
)
from services.digests import copy_hashing, read_in_chunks
from services.dumps.reader import (
    DEFAULT_LIMITS,
    GZIP_MAGIC,
    DumpDocument,
    DumpLimits,
    parse_dump_bytes,
    read_limited,
)
from services.refusals import Refused

# How gzip, bzip2, xz and zstd files begin.
COMPRESSED_MAGIC = (GZIP_MAGIC, b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd")


class BundleRejected(Refused):
    """A bundle that is not whole and intact as its manifest describes it; nothing was written."""


@dataclass(frozen=True)
class ListedArchive:
    """An archive the manifest lists, and where it lists it (for messages)."""

    place: str
    node_id: str
    version: str
    path: str
    sha256: str
    size: int


@dataclass
class OpenBundle:
    """A bundle whose manifest and dump are verified and whose archives are found, not hashed."""

    label: str
    files: BundleFolder | BundleTar
    dump_label: str
    dump_bytes: bytes
    archives: list[ListedArchive] = field(default_factory=list)
    limits: DumpLimits = DEFAULT_LIMITS

    def __enter__(self) -> "OpenBundle":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Let go of the bundle's files."""
        self.files.close()

    def read_dump(self) -> DumpDocument:
        """The bundle's dump, parsed; DumpRejected if it is not gzip or JSON."""
        return parse_dump_bytes(self.dump_label, self.dump_bytes, self.limits)

    def places(self) -> dict[tuple[str, str], str]:
        """Where the manifest lists each version's archive, by (lower-cased node id, version)."""
        return {(a.node_id.lower(), a.version): a.place for a in self.archives}

    def stage(self, store: ArchiveStore, staging: str) -> list[StagedArchive]:
        """Copy every archive into `staging` while hashing it; BundleRejected if any differs."""
        staged, problems = _hash_archives(self.label, self.files, self.archives, store, staging)
        if problems:
            raise BundleRejected(problems)
        return staged

    def archive_problems(self) -> list[str]:
        """Every archive whose bytes are not what the manifest says (hashed, not copied)."""
        return _hash_archives(self.label, self.files, self.archives)[1]


def is_bundle(path: str) -> bool:
    """A folder with a manifest.json, or a tar file (a compressed one too, to refuse it clearly)."""
    if os.path.isdir(path):
        return os.path.isfile(os.path.join(path, MANIFEST))
    if not os.path.isfile(path):
        return False
    try:
        # Only the first header is read. A file of zeros is an empty tar: no bundle, so it is
        # read as the dump it claims to be and refused as one.
        with tarfile.open(path) as tar:
            return tar.firstmember is not None
    except (tarfile.TarError, OSError, EOFError, zlib.error):
        # A damaged compressed file: not a bundle; reading it as a dump says what is wrong.
        return False


def open_bundle(path: str, limits: DumpLimits = DEFAULT_LIMITS) -> OpenBundle:
    """Check a bundle's manifest, dump and archive files; BundleRejected listing every problem."""
    label = path.rstrip("/")
    try:
        if not os.path.isdir(path):
            _refuse_compressed(label)
        files = open_files(path)
    except SparseMember as exc:
        raise BundleRejected([f"{label}: {exc}."]) from None
    except (tarfile.TarError, OSError) as exc:
        raise BundleRejected([f"{label}: not a readable bundle ({exc})."]) from None
    try:
        manifest = _load_manifest(label, files, limits)
        problems: list[str] = []
        entry = manifest["dump"]
        raw = _dump_bytes(label, files, entry, problems, limits)
        archives = _listed_archives(label, files, manifest["archives"], problems)
        if problems:
            # The bundle is refused already, but the refusal names every damaged file.
            raise BundleRejected(problems + _hash_archives(label, files, archives)[1])
    except BaseException:
        files.close()
        raise
    return OpenBundle(label, files, f"{label}/{entry['path']}", raw, archives, limits)


def bundle_problems(path: str) -> list[str]:
    """Every way the bundle at `path` differs from its manifest; none if it is intact."""
    try:
        with open_bundle(path) as bundle:
            return bundle.archive_problems()
    except BundleRejected as exc:
        return exc.problems


def _refuse_compressed(label: str) -> None:
    """Refuse a compressed tar: reading one decompresses it whole, with no bound on the cost."""
    with open(label, "rb") as handle:
        start = handle.read(6)
    if start.startswith(COMPRESSED_MAGIC):
        raise BundleRejected(
            [
                f"{label}: a compressed tar: refused; bundles are read as plain .tar files "
                "(decompress it first)."
            ]
        )


def _load_manifest(label: str, files, limits: DumpLimits) -> dict:
    opened = files.size_and_open(MANIFEST)
    if opened is None:
        raise BundleRejected([f"{label}: no {MANIFEST} at the bundle's root."])
    size, stream = opened
    with stream:
        limits.check_size(f"{label}/{MANIFEST}", size)
        try:
            document = orjson.loads(read_limited(f"{label}/{MANIFEST}", stream, limits))
        except orjson.JSONDecodeError as exc:
            raise BundleRejected([f"{label}/{MANIFEST}: not valid JSON ({exc.msg})."]) from None
    if not isinstance(document, dict):
        raise BundleRejected([f"{label}/{MANIFEST}: the manifest is not a JSON object."])
    version = document.get("format_version")
    if isinstance(version, int) and version > BUNDLE_FORMAT_VERSION:
        raise BundleRejected(
            [
                f"{label}/{MANIFEST}: format_version {version} is newer than this mirror reads "
                f"(format_version {BUNDLE_FORMAT_VERSION}); upgrade the mirror to import it."
            ]
        )
    try:
        return BundleManifestSchema().load(document)
    except ValidationError as exc:
        raise BundleRejected(
            [f"{label}/{MANIFEST}: {p}" for p in flatten_messages(exc.messages)]
        ) from None


def _open_file(label, files, path: str, size: int, place: str, problems) -> BinaryIO | None:
    """The listed file, open, if it is inside the bundle and of the listed size."""
    relative = safe_member_path(path)
    if relative is None:
        problems.append(f"{place}.path: {path!r} would leave the bundle.")
        return None
    opened = files.size_and_open(relative)
    if opened is None:
        problems.append(f"{place}.path: {path!r} is not a file in {label}.")
        return None
    actual, stream = opened
    if actual != size:
        stream.close()
        problems.append(f"{place}: {path} is {actual} bytes, the manifest says {size}.")
        return None
    return stream


def _dump_bytes(label: str, files, entry: dict, problems: list[str], limits) -> bytes | None:
    place = f"{label}/{MANIFEST}: dump"
    stream = _open_file(label, files, entry["path"], entry["size"], place, problems)
    if stream is None:
        return None
    with stream:
        # Refused before reading: the manifest's size was just checked to be the file's.
        problem = limits.oversized(f"{label}/{entry['path']}", entry["size"])
        if problem is not None:
            problems.append(problem)
            return None
        raw = read_limited(f"{label}/{entry['path']}", stream, limits)
    sha256, _ = copy_hashing([raw])
    if sha256 != entry["sha256"]:
        problems.append(_digest_problem(place, entry["path"], sha256, entry["sha256"]))
        return None
    return raw


def _listed_archives(label: str, files, entries: list[dict], problems) -> list[ListedArchive]:
    """The archives that are where the manifest says and as big as it says, each version once."""
    archives, seen = [], set()
    for index, entry in enumerate(entries):
        place = f"{label}/{MANIFEST}: archives[{index}]"
        pair = (entry["node_id"].lower(), entry["version"])
        if pair in seen:
            problems.append(f"{place}: a second archive for {entry['node_id']} {entry['version']}")
            continue
        seen.add(pair)
        stream = _open_file(label, files, entry["path"], entry["size"], place, problems)
        if stream is not None:
            stream.close()
            archives.append(ListedArchive(place, **entry))
    return archives


def _hash_archives(
    label: str,
    files,
    archives: list[ListedArchive],
    store: ArchiveStore | None = None,
    staging: str | None = None,
) -> tuple[list[StagedArchive], list[str]]:
    """Hash each archive, copied into `staging` when given: the good copies, and the problems."""
    staged: list[StagedArchive] = []
    problems: list[str] = []
    for archive in archives:
        stream = _open_file(label, files, archive.path, archive.size, archive.place, problems)
        if stream is None:
            continue
        with stream:
            copy = None
            if staging is None:
                sha256, size = copy_hashing(read_in_chunks(stream))
            else:
                copy = store.stage(stream, staging, archive.node_id, archive.version)
                sha256, size = copy.sha256, copy.size
        if (sha256, size) == (archive.sha256, archive.size):
            staged.extend([copy] if copy is not None else [])
        else:
            if copy is not None:
                os.unlink(copy.staged_path)
            problems.append(_digest_problem(archive.place, archive.path, sha256, archive.sha256))
    return staged, problems


def _digest_problem(place: str, path: str, actual: str, listed: str) -> str:
    return f"{place}: {path} has sha256 {actual}, the manifest says {listed}."
