"""`flask mirror import` of bundles: every archive verified and stored content-addressed, the
versions with one served from the mirror.

Refused bundles are in test_bundle_refusals.py."""

from pathlib import Path

import pytest
import sqlalchemy as sa

from extensions import db
from models import NodeVersion
from tests.bundles import (
    FORMS,
    UPSTREAM_URL,
    archive_bytes,
    as_form,
    content_addressed,
    download_urls,
    import_into,
    stored_files,
    table_contents,
    two_packs,
    upstream_version,
    write_bundle,
)
from tests.dumps import dump, node, write

PAIRS = [("Pack-One", "1.0.0"), ("Pack-One", "1.1.0"), ("pack-two", "0.1.0")]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("dump_name", ["dump.json.gz", "dump.json"])
def test_bundle_import_stores_every_archive_content_addressed(app, tmp_path, form, dump_name):
    bundle = as_form(write_bundle(tmp_path / "bundle", two_packs(), dump_name=dump_name), form)

    output = import_into(app, bundle)

    assert stored_files(app) == content_addressed(*(archive_bytes(*p) for p in PAIRS))
    assert "archives: 3 verified, 3 newly stored" in output


@pytest.mark.parametrize("form", FORMS)
def test_importing_a_bundle_again_stores_nothing_new_and_says_nothing_changed(app, tmp_path, form):
    bundle = as_form(write_bundle(tmp_path / "bundle", two_packs()), form)
    import_into(app, bundle)
    files, tables = stored_files(app), table_contents(app)

    output = import_into(app, bundle)

    assert "archives: 3 verified, 0 newly stored" in output
    assert "nothing changed" in output
    assert stored_files(app) == files
    after = table_contents(app)
    assert (after["nodes"], after["node_versions"]) == (tables["nodes"], tables["node_versions"])


def test_identical_archives_are_stored_once(app, tmp_path):
    same = archive_bytes("Pack-One", "1.0.0")
    contents = {("Pack-One", "1.1.0"): same}
    bundle = write_bundle(tmp_path / "bundle", two_packs(), PAIRS[:2], contents=contents)

    output = import_into(app, bundle)

    assert stored_files(app) == content_addressed(same)
    assert "archives: 2 verified, 1 newly stored" in output


def test_version_without_an_archive_is_mirrored_with_its_upstream_download_url(app, tmp_path):
    bundle = write_bundle(tmp_path / "bundle", two_packs(), [("Pack-One", "1.0.0")])

    import_into(app, bundle)

    urls = download_urls(app.test_client(), PAIRS)
    assert urls[("Pack-One", "1.1.0")] == UPSTREAM_URL.format(node_id="Pack-One", version="1.1.0")
    assert urls[("pack-two", "0.1.0")] == UPSTREAM_URL.format(node_id="pack-two", version="0.1.0")
    assert stored_files(app) == content_addressed(archive_bytes("Pack-One", "1.0.0"))


def test_version_with_an_archive_gets_the_mirrors_download_url(app, tmp_path):
    import_into(app, write_bundle(tmp_path / "bundle", two_packs()))

    urls = download_urls(app.test_client(), PAIRS)

    assert urls == {
        ("Pack-One", "1.0.0"): "http://localhost/archives/Pack-One/1.0.0/node.zip",
        ("Pack-One", "1.1.0"): "http://localhost/archives/Pack-One/1.1.0/node.zip",
        ("pack-two", "0.1.0"): "http://localhost/archives/pack-two/0.1.0/node.zip",
    }


def test_reimporting_the_bundle_restores_an_archive_missing_from_storage(app, tmp_path):
    bundle = write_bundle(tmp_path / "bundle", two_packs())
    import_into(app, bundle)
    files = stored_files(app)
    lost = Path(app.config["ARCHIVE_DIR"]) / next(iter(files))
    lost.unlink()

    output = import_into(app, bundle)

    assert "archives: 3 verified, 1 newly stored" in output
    assert stored_files(app) == files


def test_merge_of_a_plain_dump_over_a_version_with_an_archive_keeps_the_archive(app, tmp_path):
    import_into(app, write_bundle(tmp_path / "bundle", two_packs()))
    files = stored_files(app)
    update = two_packs()
    update["nodes"][0]["versions"][0]["changelog"] = "Rewritten."
    plain = write(tmp_path / "update.json", update)

    output = import_into(app, plain)

    assert "versions: 0 added, 1 updated" in output
    client = app.test_client()
    assert download_urls(client, PAIRS[:1]) == {
        PAIRS[0]: "http://localhost/archives/Pack-One/1.0.0/node.zip"
    }
    assert client.get("/archives/Pack-One/1.0.0/node.zip").data == archive_bytes(*PAIRS[0])
    assert stored_files(app) == files


def test_replace_with_a_bundle_makes_the_mirror_equal_to_it(app, tmp_path):
    import_into(app, write_bundle(tmp_path / "first", two_packs()))
    second = dump(
        node("Pack-One", upstream_version("Pack-One", "1.1.0", changelog="Second.")),
        node("pack-three", upstream_version("pack-three", "3.0.0")),
    )

    output = import_into(app, write_bundle(tmp_path / "second", second), options=["--replace"])

    assert "nodes: 1 added, 1 updated, 0 unchanged, 1 removed" in output
    assert "archives: 2 verified, 1 newly stored" in output
    client = app.test_client()
    assert client.get("/archives/pack-three/3.0.0/node.zip").data == archive_bytes(
        "pack-three", "3.0.0"
    )
    assert client.get("/archives/Pack-One/1.1.0/node.zip").status_code == 200
    assert client.get("/archives/Pack-One/1.0.0/node.zip").status_code == 404
    assert client.get("/archives/pack-two/0.1.0/node.zip").status_code == 404
    with app.app_context():
        held = db.session.execute(sa.select(NodeVersion.node_id, NodeVersion.version)).all()
    assert sorted(held) == [("Pack-One", "1.1.0"), ("pack-three", "3.0.0")]
