"""Building bundles for tests (real zip archives, a manifest with their sizes and digests, as a
folder or a .tar), the small registries the bundle and archive tests import, and reading back
the whole state of a mirror to compare before and after."""

import hashlib
import io
import json
import tarfile
import zipfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import sqlalchemy as sa

from extensions import db
from models import Node
from services.archives import LOCK_FILE
from tests import dumps

# Where these helpers lived first; tests import them from here as well as from tests.mirrors.
from tests.mirrors import REFUSED as REFUSED
from tests.mirrors import assert_refused as assert_refused
from tests.mirrors import import_into as import_into
from tests.mirrors import mirror_app as mirror_app
from tests.mirrors import run_import as run_import

SEED_DATA = Path(__file__).resolve().parent.parent / "seed_data"
# The sample bundle's dump, on its own: a plain dump without archives.
SEED_DUMP = SEED_DATA / "sample-registry.json"
MANIFEST = "manifest.json"
UPSTREAM_URL = "https://storage.googleapis.com/comfy-registry/{node_id}/{version}/node.zip"
FIXED_TIME = (2024, 1, 1, 0, 0, 0)

Pair = tuple[str, str]


def sha256(raw: bytes) -> str:
    """The hex sha256 of some bytes."""
    return hashlib.sha256(raw).hexdigest()


def upstream_version(node_id: str, number: str, **fields) -> dict:
    """A version as upstream publishes it, with its upstream download URL."""
    return dumps.version(
        number, downloadUrl=UPSTREAM_URL.format(node_id=node_id, version=number), **fields
    )


def archive_bytes(node_id: str, version: str) -> bytes:
    """A real, deterministic zip of a tiny node pack, different for every (node, version)."""
    files = {
        "pyproject.toml": f'[project]\nname = "{node_id.lower()}"\nversion = "{version}"\n',
        "__init__.py": f'"""{node_id} {version}, a node pack for tests."""\n',
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=FIXED_TIME), text)
    return buffer.getvalue()


def archive_path(node_id: str, version: str) -> str:
    """Where a bundle made here keeps a version's archive, relative to its root."""
    return f"archives/{node_id}/{version}.zip"


def every_version(document: dict) -> list[Pair]:
    """Every (node id, version) pair a dump carries, in document order."""
    return [
        (node["id"], item["version"]) for node in document["nodes"] for item in node["versions"]
    ]


def write_bundle(
    folder: Path,
    document: dict,
    archived: Iterable[Pair] | None = None,
    *,
    contents: Mapping[Pair, bytes] | None = None,
    dump_name: str = "dump.json.gz",
) -> Path:
    """Write a bundle folder: the dump, real archives, and a manifest with correct digests.

    `archived` lists the pairs that get an archive (default: every version of the dump);
    `contents` gives some of them other bytes than archive_bytes().
    """
    folder.mkdir(parents=True)
    dump_raw = dumps.write(
        folder / dump_name, document, compress=dump_name.endswith(".gz")
    ).read_bytes()
    entries = []
    for node_id, version in every_version(document) if archived is None else archived:
        raw = (contents or {}).get((node_id, version)) or archive_bytes(node_id, version)
        relative = archive_path(node_id, version)
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_bytes(raw)
        entries.append({"node_id": node_id, "version": version, **file_entry(relative, raw)})
    manifest = {
        "format": "comfy-registry-bundle",
        "format_version": 1,
        "created_at": "2026-11-30T12:00:00Z",
        "source": "tests",
        "dump": file_entry(dump_name, dump_raw),
        "archives": entries,
    }
    write_manifest(folder, manifest)
    return folder


def file_entry(path: str, raw: bytes) -> dict:
    """A manifest's record of one file: its path, sha256 and size."""
    return {"path": path, "sha256": sha256(raw), "size": len(raw)}


def read_manifest(folder: Path) -> dict:
    """A bundle folder's manifest."""
    return json.loads((folder / MANIFEST).read_bytes())


def write_manifest(folder: Path, manifest: dict | bytes) -> None:
    """Replace a bundle folder's manifest (raw bytes are written as given)."""
    raw = manifest if isinstance(manifest, bytes) else json.dumps(manifest, indent=2).encode()
    (folder / MANIFEST).write_bytes(raw)


def edit_manifest(folder: Path, change: Callable[[dict], None]) -> dict:
    """Change a bundle folder's manifest in place; returns the new manifest."""
    manifest = read_manifest(folder)
    change(manifest)
    write_manifest(folder, manifest)
    return manifest


def flip_byte(path: Path) -> None:
    """Corrupt a file without changing its size: invert one byte in its middle."""
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))


def tar_bundle(
    folder: Path,
    tar_path: Path,
    top_folder: str | None = None,
    extra_members: Mapping[str, bytes] | None = None,
) -> Path:
    """Pack a bundle folder's contents as a .tar, at its root or under one top-level folder.

    `extra_members` adds regular files under names given verbatim (".." included).
    """
    with tarfile.open(tar_path, "w") as tar:
        for entry in sorted(folder.iterdir()):
            name = f"{top_folder}/{entry.name}" if top_folder else entry.name
            tar.add(entry, arcname=name)
        for name, raw in (extra_members or {}).items():
            info = tarfile.TarInfo(name)
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    return tar_path


def two_packs() -> dict:
    """Two packs, three versions, each with an upstream download URL."""
    return dumps.dump(
        dumps.node(
            "Pack-One",
            upstream_version("Pack-One", "1.0.0"),
            upstream_version("Pack-One", "1.1.0", changelog="Second."),
            publisher={"id": "pub", "name": "Publisher"},
        ),
        dumps.node("pack-two", upstream_version("pack-two", "0.1.0")),
    )


# The forms a bundle is imported in: its folder, a .tar of it, a .tar of a folder holding it.
FORMS = ["folder", "tar", "tar-in-folder"]


def as_form(folder: Path, form: str) -> Path:
    """The bundle folder itself, or a .tar of it (at its root or under one top-level folder)."""
    if form == "folder":
        return folder
    tar_path = folder.with_name(folder.name + ".tar")
    return tar_bundle(folder, tar_path, top_folder="bundle" if form == "tar-in-folder" else None)


# The archive tests' catalogue: mixed-case ids, several statuses, a '+' in a version, and
# versions without archives. Its bundle has archives for ARCHIVED, none for NOT_ARCHIVED.
PLUS = "1.1.0+cu121"
ARCHIVED = [("Pack-One", "1.0.0"), ("Pack-One", PLUS), ("pack-two", "0.1.0")]
NOT_ARCHIVED = [("Pack-One", "0.9.0"), ("pack-two", "0.0.1")]
# The first archived version's archive, and where the mirror serves it.
ARCHIVE = archive_bytes("Pack-One", "1.0.0")
ARCHIVE_URL = "/archives/Pack-One/1.0.0/node.zip"


def archives_catalogue() -> dict:
    """The archive tests' catalogue, as a dump."""
    return dumps.dump(
        dumps.node(
            "Pack-One",
            upstream_version("Pack-One", "1.0.0", createdAt="2024-05-03T03:58:21.019461Z"),
            upstream_version("Pack-One", PLUS, status="NodeVersionStatusPending"),
            upstream_version("Pack-One", "0.9.0", status="NodeVersionStatusDeleted"),
            name="Pack One",
            description="Samplers.",
            publisher={"id": "pub", "name": "Publisher"},
        ),
        dumps.node(
            "pack-two",
            upstream_version("pack-two", "0.1.0", status="NodeVersionStatusFlagged"),
            upstream_version("pack-two", "0.0.1"),
        ),
        dumps.node("bare-node"),
    )


def hold_archives_catalogue(app, folder: Path) -> None:
    """Import the archive tests' catalogue into `app`, as a bundle written to `folder`."""
    import_into(app, write_bundle(folder, archives_catalogue(), ARCHIVED))


def stored_files(app) -> dict[str, str]:
    """Every file under the archive directory (staging areas included), but its lock file."""
    root = Path(app.config["ARCHIVE_DIR"])
    if not root.exists():
        return {}
    return {
        path.relative_to(root).as_posix(): sha256(path.read_bytes())
        for path in sorted(root.rglob("*"))
        if path.is_file() and path != root / LOCK_FILE
    }


def stored_folders(app) -> list[str]:
    """Every folder under the archive directory (staging areas included)."""
    root = Path(app.config["ARCHIVE_DIR"])
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_dir())


def table_contents(app) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    contents = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            query = sa.select(table).order_by(*table.primary_key.columns)
            contents[table.name] = [tuple(row) for row in db.session.execute(query)]
    return contents


def data_tables(app) -> dict[str, list[tuple]]:
    """Every row of the publishers, nodes and versions tables (not the import records)."""
    return {
        name: rows
        for name, rows in table_contents(app).items()
        if name in ("publishers", "nodes", "node_versions")
    }


def mirrored_node_ids(app) -> set[str]:
    """The published ids of every mirrored node."""
    with app.app_context():
        return set(db.session.execute(sa.select(Node.id)).scalars())


def mirror_state(app) -> dict:
    """The whole state of a mirror: every table row and everything in its archive directory."""
    return {
        "tables": table_contents(app),
        "archive files": stored_files(app),
        "archive folders": stored_folders(app),
    }


def content_addressed(*archives: bytes) -> dict[str, str]:
    """The archive directory listing expected to hold exactly these archives."""
    return {f"{sha256(raw)[:2]}/{sha256(raw)}.zip": sha256(raw) for raw in archives}


def download_urls(client, pairs: Iterable[Pair], **request) -> dict[Pair, str | None]:
    """The downloadUrl the bulk endpoint gives each pair."""
    pairs = list(pairs)
    response = client.post(
        "/bulk/nodes/versions",
        json={"node_versions": [{"node_id": n, "version": v} for n, v in pairs]},
        **request,
    )
    assert response.status_code == 200, response.data
    answers = response.json["node_versions"]
    return {
        pair: (answer.get("node_version") or {}).get("downloadUrl")
        for pair, answer in zip(pairs, answers, strict=True)
    }
