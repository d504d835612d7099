"""The files inside a bundle, a folder or a tar, never followed outside it."""

import os
import posixpath
import tarfile
from typing import BinaryIO

MANIFEST = "manifest.json"
# Where the mirror's own bundles (exports and syncs) put their dump.
DUMP_NAME = "dump.json.gz"


def safe_member_path(relative: str) -> str | None:
    """The normalized relative path, or None if it could leave the bundle."""
    if "\\" in relative or "\x00" in relative or relative.startswith("/"):
        return None
    normalized = posixpath.normpath(relative)
    if normalized in ("", ".") or normalized.startswith("../") or normalized == "..":
        return None
    return normalized


def archive_member_path(node_id: str, version: str) -> str:
    """Where the mirror's own bundles put a version's archive, relative to the bundle's root.

    Node ids and versions never hold a separator or '..' (schemas/rules.py), so this stays inside.
    """
    return f"archives/{node_id}/{version}.zip"


class SparseMember(tarfile.TarError):
    """A sparse tar member: a few bytes that stand for gigabytes, never written by the mirror."""


class BundleFolder:
    """Files of a bundle folder, never followed outside it (links included)."""

    def __init__(self, root: str):
        self.root = os.path.realpath(root)

    def size_and_open(self, relative: str) -> tuple[int, BinaryIO] | None:
        """The file's size and a stream the caller closes, or None if it is not a file here."""
        path = os.path.realpath(os.path.join(self.root, relative))
        if not path.startswith(self.root + os.sep) or not os.path.isfile(path):
            return None
        return os.path.getsize(path), open(path, "rb")

    def close(self) -> None:
        """Nothing to let go of: each file is opened on demand."""


class BundleTar:
    """Regular files of a bundle tar, at its root or under its one top-level folder."""

    def __init__(self, path: str):
        self.tar = tarfile.open(path, "r:")  # noqa: SIM115 (closed by close())
        self.members: dict[str, tarfile.TarInfo] = {}
        for member in self.tar.getmembers():
            if member.issparse():
                self.tar.close()
                raise SparseMember(f"{member.name}: a sparse tar member: refused")
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
        """The member's size and a stream the caller closes, or None if it is not a file here."""
        member = self.members.get(relative)
        if member is None:
            return None
        return member.size, self.tar.extractfile(member)

    def close(self) -> None:
        """Close the tar file."""
        self.tar.close()


def open_files(path: str) -> BundleFolder | BundleTar:
    """The files of the bundle at `path`; tarfile.TarError or OSError if it cannot be read."""
    return BundleFolder(path) if os.path.isdir(path) else BundleTar(path)
