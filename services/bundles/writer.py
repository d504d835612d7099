"""Writing bundles: the whole mirror as an export, and the dump and manifest of any bundle."""

import os
import shutil
import tarfile
import tempfile

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import NodeVersion
from schemas.bundle import BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION
from services.archives import ArchiveStore
from services.bundles.files import DUMP_NAME, MANIFEST, archive_member_path
from services.digests import file_digest
from services.dumps.writer import MIRROR_SOURCE, build_dump, write_dump
from services.files import atomic_file, move_into_place
from services.progress import Step
from services.refusals import Refused
from services.timestamps import now_rfc3339

# A bundle folder is read by whoever imports it: open to all, like the archives inside.
FOLDER_MODE = 0o755


class ExportRefused(Refused):
    """An export that cannot be written as asked; nothing was written."""


def write_dump_and_manifest(folder: str, document: dict, archives: list[dict], source: str) -> dict:
    """Write a bundle's dump, then the manifest naming it and `archives`; return the manifest.

    `archives` are manifest entries (node_id, version, path, sha256, size) of files already in
    `folder`. The manifest is written last, atomically: a folder with one is a whole bundle.
    """
    dump_path = os.path.join(folder, DUMP_NAME)
    write_dump(document, dump_path)
    sha256, size = file_digest(dump_path)
    manifest = {
        "format": BUNDLE_FORMAT,
        "format_version": BUNDLE_FORMAT_VERSION,
        "created_at": now_rfc3339(),
        "source": source,
        "dump": {"path": DUMP_NAME, "sha256": sha256, "size": size},
        "archives": archives,
    }
    with atomic_file(os.path.join(folder, MANIFEST)) as out:
        out.write(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return manifest


def write_bundle(
    session: Session, store: ArchiveStore, path: str, step: Step | None = None
) -> dict:
    """Write a bundle folder, or a .tar of one when `path` ends in .tar; return its manifest."""
    if os.path.exists(path):
        raise ExportRefused([f"{path} already exists: choose a new path or remove it first."])
    rows = _archived_versions(session, store)
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    work = tempfile.mkdtemp(prefix=".bundle-", dir=parent)
    try:
        document = build_dump(session, step)
        archives = [_copy_archive(store, row, work) for row in rows]
        manifest = write_dump_and_manifest(work, document, archives, MIRROR_SOURCE)
        if path.endswith(".tar"):
            _write_tar(work, path)
        else:
            move_into_place(work, path, FOLDER_MODE)
        return manifest
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _archived_versions(session: Session, store: ArchiveStore) -> list:
    """The versions with an archive, in bundle order; ExportRefused if any archive is missing."""
    rows = session.execute(
        sa.select(NodeVersion.node_id, NodeVersion.version, NodeVersion.archive_sha256)
        .where(NodeVersion.archive_sha256.is_not(None))
        .order_by(NodeVersion.node_normalized_id, NodeVersion.version)
    ).all()
    missing = [f"{r.node_id} {r.version}" for r in rows if not store.has(r.archive_sha256)]
    if missing:
        raise ExportRefused(
            [f"archive of {name} is missing from the archive directory" for name in missing]
        )
    return rows


def _copy_archive(store: ArchiveStore, row, folder: str) -> dict:
    """Copy one stored archive into the bundle folder; its manifest entry."""
    relative = archive_member_path(row.node_id, row.version)
    target = os.path.join(folder, relative)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copyfile(store.path_for(row.archive_sha256), target)
    sha256, size = file_digest(target)
    return {
        "node_id": row.node_id,
        "version": row.version,
        "path": relative,
        "sha256": sha256,
        "size": size,
    }


def _write_tar(folder: str, path: str) -> None:
    """Pack `folder`'s contents as the tar `path`, which readers never see half written."""
    with atomic_file(path) as out, tarfile.open(fileobj=out, mode="w") as tar:
        for name in sorted(os.listdir(folder)):
            tar.add(os.path.join(folder, name), arcname=name)
