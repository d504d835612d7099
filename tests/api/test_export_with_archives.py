"""`flask mirror export --with-archives`: a bundle that reproduces the mirror in an empty one,
with dumps that keep upstream's download URLs, refused onto an existing path."""

import gzip
import json
import tarfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from extensions import db
from models import Node, NodeVersion
from tests.assertions import assert_same_answers
from tests.bundles import (
    ARCHIVE,
    ARCHIVED,
    NOT_ARCHIVED,
    UPSTREAM_URL,
    import_into,
    sha256,
    stored_files,
    upstream_version,
)
from tests.dumps import dump, node, write


def export_bundle(app, path: Path):
    """Run `flask mirror export --with-archives PATH`; returns the click result."""
    return app.test_cli_runner().invoke(args=["mirror", "export", "--with-archives", str(path)])


def held_pairs(app) -> list[tuple[str, str]]:
    """Every (node id, version) pair a mirror holds, as published."""
    with app.app_context():
        query = sa.select(Node.id, NodeVersion.version).join(
            NodeVersion, NodeVersion.node_normalized_id == Node.normalized_id
        )
        return sorted(db.session.execute(query).all())


def pairs_to_ask(app) -> list[dict]:
    """Every pair the mirror holds in three casings, plus pairs it lacks."""
    held = held_pairs(app)
    assert held, "the mirror under test holds no versions"
    asked = [
        {"node_id": casing, "version": number}
        for node_id, number in held
        for casing in sorted({node_id, node_id.lower(), node_id.upper()})
    ]
    asked += [
        {"node_id": "Pack-One", "version": "99.99.99"},
        {"node_id": "bare-node", "version": "1.0.0"},
        {"node_id": "never-mirrored", "version": "1.0.0"},
        {"node_id": "ltdrdata/ComfyUI-Impact-Pack", "version": ""},
    ]
    return asked


def assert_same_mirrors(original, reimported) -> None:
    """Both mirrors answer every bulk pair with the same bytes and serve the same archives."""
    assert_same_answers(original, reimported, pairs_to_ask(original), b"/archives/")
    for node_id, number in held_pairs(original):
        path = f"/archives/{node_id}/{number}/node.zip"
        want = original.test_client().get(path)
        got = reimported.test_client().get(path)
        assert (got.status_code, got.data, got.headers.get("ETag")) == (
            want.status_code,
            want.data,
            want.headers.get("ETag"),
        ), path
    assert stored_files(reimported) == stored_files(original)


@pytest.mark.parametrize("target", ["bundle", "bundle.tar"])
def test_export_with_archives_then_import_reproduces_every_response_and_archive(
    app, archived_catalogue, empty_mirror, tmp_path, target
):
    update = dump(node("pack-two", upstream_version("pack-two", "0.2.0", changelog="Merged.")))
    import_into(app, write(tmp_path / "update.json", update))
    result = export_bundle(app, tmp_path / target)
    assert result.exit_code == 0, result.output
    assert "3 archives" in result.output

    import_into(empty_mirror, tmp_path / target)

    assert_same_mirrors(app, empty_mirror)


@pytest.mark.parametrize("target", ["bundle", "bundle.tar"])
def test_importing_an_exported_bundle_into_its_own_mirror_changes_nothing(
    app, archived_catalogue, tmp_path, target
):
    assert export_bundle(app, tmp_path / target).exit_code == 0

    output = import_into(app, tmp_path / target, options=["--replace"])

    assert "archives: 3 verified, 0 newly stored" in output
    assert "nothing changed" in output


def test_export_with_archives_is_a_tar_when_the_path_ends_in_tar(app, archived_catalogue, tmp_path):
    assert export_bundle(app, tmp_path / "bundle.tar").exit_code == 0

    with tarfile.open(tmp_path / "bundle.tar") as tar:
        names = set(tar.getnames())

    assert "manifest.json" in names
    assert {f"archives/{n}/{v}.zip" for n, v in ARCHIVED} <= names


@pytest.mark.slow
def test_export_of_the_sample_bundle_round_trips(app, tmp_path, empty_mirror):
    assert app.test_cli_runner().invoke(args=["mirror", "seed"]).exit_code == 0
    assert export_bundle(app, tmp_path / "bundle").exit_code == 0

    import_into(empty_mirror, tmp_path / "bundle")

    assert_same_mirrors(app, empty_mirror)


def dump_of(path: Path) -> bytes:
    """The dump bytes of an export: a dump file, or the dump inside a bundle folder or tar."""
    if path.suffix == ".tar":
        with tarfile.open(path) as tar:
            manifest = json.load(tar.extractfile("manifest.json"))
            raw = tar.extractfile(manifest["dump"]["path"]).read()
    elif path.is_dir():
        manifest = json.loads((path / "manifest.json").read_bytes())
        raw = (path / manifest["dump"]["path"]).read_bytes()
    else:
        raw = path.read_bytes()
    return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw


@pytest.mark.parametrize(
    ("target", "options"),
    [
        pytest.param("export.json", (), id="dump"),
        pytest.param("export.json.gz", (), id="dump-gz"),
        pytest.param("bundle", ("--with-archives",), id="bundle"),
        pytest.param("bundle.tar", ("--with-archives",), id="bundle-tar"),
    ],
)
def test_exported_dumps_keep_the_upstream_download_url_never_the_mirrors(
    app, archived_catalogue, tmp_path, target, options
):
    result = app.test_cli_runner().invoke(
        args=["mirror", "export", *options, str(tmp_path / target)]
    )
    assert result.exit_code == 0, result.output

    raw = dump_of(tmp_path / target)

    assert b"/archives/" not in raw
    assert b"localhost" not in raw
    assert b"\\u0001" not in raw
    urls = {
        (entry["id"], item["version"]): item.get("downloadUrl")
        for entry in json.loads(raw)["nodes"]
        for item in entry["versions"]
    }
    assert urls == {
        pair: UPSTREAM_URL.format(node_id=pair[0], version=pair[1])
        for pair in ARCHIVED + NOT_ARCHIVED
    }


def existing_folder(path: Path) -> None:
    """A folder with a file in it."""
    path.mkdir()
    (path / "notes.txt").write_text("keep me")


def existing_empty_folder(path: Path) -> None:
    """An empty folder."""
    path.mkdir()


def existing_file(path: Path) -> None:
    """A file."""
    path.write_text("keep me")


@pytest.mark.parametrize(
    ("name", "make"),
    [
        pytest.param("bundle", existing_folder, id="folder"),
        pytest.param("bundle", existing_empty_folder, id="empty-folder"),
        pytest.param("bundle.tar", existing_file, id="tar"),
        pytest.param("bundle", existing_file, id="file"),
    ],
)
def test_export_with_archives_onto_an_existing_path_is_refused(
    app, archived_catalogue, tmp_path, name, make
):
    target = tmp_path / name
    make(target)
    before = sorted(p.name for p in tmp_path.iterdir())
    kept = sorted((p.relative_to(target), p.read_bytes()) for p in target.rglob("*") if p.is_file())

    result = export_bundle(app, target)

    assert result.exit_code != 0
    assert f"{target} already exists" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    if target.is_dir():
        after = sorted(
            (p.relative_to(target), p.read_bytes()) for p in target.rglob("*") if p.is_file()
        )
        assert after == kept
    else:
        assert target.read_text() == "keep me"


def test_export_with_archives_refuses_when_an_archive_is_missing_from_storage(
    app, archived_catalogue, tmp_path
):
    for path in Path(app.config["ARCHIVE_DIR"]).rglob(f"{sha256(ARCHIVE)}.zip"):
        path.unlink()

    result = export_bundle(app, tmp_path / "bundle")

    assert result.exit_code != 0
    assert "archive of Pack-One 1.0.0 is missing from the archive directory" in result.output
    assert not (tmp_path / "bundle").exists()
