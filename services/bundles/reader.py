"""Reading bundles (a dump plus node archives), verifying every file before anything is written.

Bundle tars are read uncompressed and without sparse members: both would let a small file stand
for gigabytes, and the mirror never writes either.
"""

import hashlib
import os
import posixpath
import tarfile
import zlib
from dataclasses import dataclass, field
from typing import BinaryIO

import orjson
from marshmallow import ValidationError

from schemas.bundle import BUNDLE_FORMAT_VERSION, BundleManifestSchema
from schemas.errors import flatten_messages
from services.archives import ArchiveStore, StagedArchive
from services.dumps.reader import (
    GZIP_MAGIC,
    DumpDocument,
    DumpLimits,
    DumpRejected,
    parse_dump_bytes,
    read_limited,
)

MANIFEST = "manifest.json"
# How gzip, bzip2, xz and zstd files begin.
COMPRESSED_MAGIC = (GZIP_MAGIC, b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd")


@dataclass
class BundleContents:
    """A verified bundle: its dump, and its archives staged in the archive store."""

    label: str
    dump: DumpDocument
    archives: list[StagedArchive] = field(default_factory=list)
    # Where each archive is named in the manifest, for messages.
    places: dict[tuple[str, str], str] = field(default_factory=dict)


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


def safe_member_path(relative: str) -> str | None:
    """The normalized relative path, or None if it could leave the bundle."""
    if "\\" in relative or "\x00" in relative or relative.startswith("/"):
        return None
    normalized = posixpath.normpath(relative)
    if normalized in ("", ".") or normalized.startswith("../") or normalized == "..":
        return None
    return normalized


class _FolderFiles:
    """Files of a bundle folder, never followed outside it (links included)."""

    def __init__(self, root: str):
        self.root = os.path.realpath(root)

    def size_and_open(self, relative: str) -> tuple[int, BinaryIO] | None:
        path = os.path.realpath(os.path.join(self.root, relative))
        if not path.startswith(self.root + os.sep) or not os.path.isfile(path):
            return None
        # The caller closes the stream.
        return os.path.getsize(path), open(path, "rb")

    def close(self) -> None:
        pass


class _TarFiles:
    """Regular files of a bundle tar, at its root or under its one top-level folder."""

    def __init__(self, path: str):
        self.tar = tarfile.open(path, "r:")  # noqa: SIM115 (closed by close())
        self.members: dict[str, tarfile.TarInfo] = {}
        for member in self.tar.getmembers():
            if member.issparse():
                self.tar.close()
                raise DumpRejected(
                    [f"{path.rstrip('/')}: {member.name}: a sparse tar member: refused."]
                )
            name = safe_member_path(member.name)
            if name is not None and member.isfile():
                self.members[name] = member
        if MANIFEST not in self.members:
            tops = {name.split("/", 1)[0] for name in self.members}
            if len(tops) == 1 and f"{next(iter(tops))}/{MANIFEST}" in self.members:
                prefix = f"{next(iter(tops))}/"
                self.members = {
                    name.removeprefix(prefix): m
                    for name, m in self.members.items()
                    if name.startswith(prefix)
                }

    def size_and_open(self, relative: str) -> tuple[int, BinaryIO] | None:
        member = self.members.get(relative)
        if member is None:
            return None
        return member.size, self.tar.extractfile(member)

    def close(self) -> None:
        self.tar.close()


def read_bundle(path: str, store: ArchiveStore, staging: str, limits: DumpLimits) -> BundleContents:
    """Verify a bundle's manifest, dump and archives; stage the archives in `staging`."""
    label = path.rstrip("/")
    try:
        if os.path.isdir(path):
            files = _FolderFiles(path)
        else:
            _refuse_compressed(label)
            files = _TarFiles(path)
    except (tarfile.TarError, OSError) as exc:
        raise DumpRejected([f"{label}: not a readable bundle ({exc})."]) from None
    try:
        return _read(label, files, store, staging, limits)
    finally:
        files.close()


def _refuse_compressed(label: str) -> None:
    """Refuse a compressed tar: reading one decompresses it whole, with no bound on the cost."""
    with open(label, "rb") as handle:
        start = handle.read(6)
    if start.startswith(COMPRESSED_MAGIC):
        raise DumpRejected(
            [
                f"{label}: a compressed tar: refused; bundles are read as plain .tar files "
                "(decompress it first)."
            ]
        )


def _read(
    label: str, files, store: ArchiveStore, staging: str, limits: DumpLimits
) -> BundleContents:
    manifest = _load_manifest(label, files, limits)
    problems: list[str] = []
    dump_entry = manifest["dump"]
    raw = _verified_bytes(label, files, dump_entry, "dump", problems, limits)
    contents = BundleContents(label, DumpDocument(label, None))
    seen: dict[tuple[str, str], str] = {}
    for index, entry in enumerate(manifest["archives"]):
        place = f"{label}/{MANIFEST}: archives[{index}]"
        pair = (entry["node_id"].lower(), entry["version"])
        if pair in seen:
            problems.append(f"{place}: a second archive for {entry['node_id']} {entry['version']}")
            continue
        seen[pair] = place
        staged = _stage_verified(label, files, store, staging, entry, place, problems)
        if staged is not None:
            contents.archives.append(staged)
            contents.places[pair] = place
    if problems:
        raise DumpRejected(problems)
    contents.dump = parse_dump_bytes(f"{label}/{dump_entry['path']}", raw, limits)
    return contents


def _load_manifest(label: str, files, limits: DumpLimits) -> dict:
    opened = files.size_and_open(MANIFEST)
    if opened is None:
        raise DumpRejected([f"{label}: no {MANIFEST} at the bundle's root."])
    size, stream = opened
    with stream:
        limits.check_size(f"{label}/{MANIFEST}", size)
        try:
            document = orjson.loads(read_limited(f"{label}/{MANIFEST}", stream, limits))
        except orjson.JSONDecodeError as exc:
            raise DumpRejected([f"{label}/{MANIFEST}: not valid JSON ({exc.msg})."]) from None
    if not isinstance(document, dict):
        raise DumpRejected([f"{label}/{MANIFEST}: the manifest is not a JSON object."])
    version = document.get("format_version")
    if isinstance(version, int) and version > BUNDLE_FORMAT_VERSION:
        raise DumpRejected(
            [
                f"{label}/{MANIFEST}: format_version {version} is newer than this mirror reads "
                f"(format_version {BUNDLE_FORMAT_VERSION}); upgrade the mirror to import it."
            ]
        )
    try:
        return BundleManifestSchema().load(document)
    except ValidationError as exc:
        raise DumpRejected(
            [f"{label}/{MANIFEST}: {p}" for p in flatten_messages(exc.messages)]
        ) from None


def _open_entry(label, files, entry, place, problems):
    relative = safe_member_path(entry["path"])
    if relative is None:
        problems.append(f"{place}.path: {entry['path']!r} would leave the bundle.")
        return None
    opened = files.size_and_open(relative)
    if opened is None:
        problems.append(f"{place}.path: {entry['path']!r} is not a file in {label}.")
        return None
    size, stream = opened
    if size != entry["size"]:
        stream.close()
        problems.append(
            f"{place}: {entry['path']} is {size} bytes, the manifest says {entry['size']}."
        )
        return None
    return stream


def _verified_bytes(label, files, entry, place, problems, limits) -> bytes | None:
    stream = _open_entry(label, files, entry, f"{label}/{MANIFEST}: {place}", problems)
    if stream is None:
        return None
    with stream:
        # Refused before reading: the manifest's size was just checked to be the file's.
        problem = limits.oversized(f"{label}/{entry['path']}", entry["size"])
        if problem is not None:
            problems.append(problem)
            return None
        raw = read_limited(f"{label}/{entry['path']}", stream, limits)
    digest = hashlib.sha256(raw).hexdigest()
    if digest != entry["sha256"]:
        problems.append(
            f"{label}/{MANIFEST}: {place}: {entry['path']} has sha256 {digest}, "
            f"the manifest says {entry['sha256']}."
        )
        return None
    return raw


def _stage_verified(label, files, store, staging, entry, place, problems):
    stream = _open_entry(label, files, entry, place, problems)
    if stream is None:
        return None
    with stream:
        staged = store.stage(stream, staging, entry["node_id"], entry["version"])
    if staged.sha256 != entry["sha256"] or staged.size != entry["size"]:
        os.unlink(staged.staged_path)
        problems.append(
            f"{place}: {entry['path']} has sha256 {staged.sha256}, "
            f"the manifest says {entry['sha256']}."
        )
        return None
    return staged
