"""Writing the whole mirror as a bundle: a dump, the stored archives, and a manifest of digests."""

import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import NodeVersion
from schemas.bundle import BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION
from services.archives import ArchiveStore, file_digest
from services.bundles.reader import MANIFEST
from services.dumps.reader import DumpRejected
from services.dumps.writer import build_dump, write_dump

DUMP_NAME = "dump.json.gz"


def write_bundle(
    session: Session,
    store: ArchiveStore,
    path: str,
    step: Callable[[int], None] | None = None,
) -> dict:
    """Write a bundle folder, or a .tar of one when `path` ends in .tar; return its manifest."""
    if os.path.exists(path):
        raise DumpRejected([f"{path} already exists: choose a new path or remove it first."])
    rows = session.execute(
        sa.select(NodeVersion.node_id, NodeVersion.version, NodeVersion.archive_sha256)
        .where(NodeVersion.archive_sha256.is_not(None))
        .order_by(NodeVersion.node_normalized_id, NodeVersion.version)
    ).all()
    missing = [f"{r.node_id} {r.version}" for r in rows if not store.has(r.archive_sha256)]
    if missing:
        raise DumpRejected(
            [f"archive of {name} is missing from the archive directory" for name in missing]
        )
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    work = tempfile.mkdtemp(prefix=".bundle-", dir=parent)
    try:
        write_dump(build_dump(session, step), os.path.join(work, DUMP_NAME))
        dump_sha, dump_size = file_digest(os.path.join(work, DUMP_NAME))
        archives = []
        for row in rows:
            relative = f"archives/{row.node_id}/{row.version}.zip"
            target = os.path.join(work, relative)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(store.path_for(row.archive_sha256), target)
            sha, size = file_digest(target)
            archives.append(
                {
                    "node_id": row.node_id,
                    "version": row.version,
                    "path": relative,
                    "sha256": sha,
                    "size": size,
                }
            )
        manifest = {
            "format": BUNDLE_FORMAT,
            "format_version": BUNDLE_FORMAT_VERSION,
            "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "source": "comfy-registry-mirror",
            "dump": {"path": DUMP_NAME, "sha256": dump_sha, "size": dump_size},
            "archives": archives,
        }
        with open(os.path.join(work, MANIFEST), "wb") as out:
            out.write(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
        if path.endswith(".tar"):
            _tar_into_place(work, path)
        else:
            os.chmod(work, 0o755)
            os.replace(work, path)
        return manifest
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _tar_into_place(folder: str, path: str) -> None:
    """Pack `folder`'s contents as `path`, written beside it first so readers never see half."""
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), suffix=".tar")
    os.close(handle)
    try:
        with tarfile.open(temporary, "w") as tar:
            for name in sorted(os.listdir(folder)):
                tar.add(os.path.join(folder, name), arcname=name)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
