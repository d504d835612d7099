"""`flask mirror sync` from an upstream that lacks some archives: mirror A serves, for those,
a downloadUrl on a storage host nobody can reach. B's sync completes as partial (exit 3), serves
everything else, lists what is missing, and a later sync fetches exactly the missing archives
once they can be reached; --require-archives keeps the all-or-nothing sync."""

import gzip
import json

import pytest
import sqlalchemy as sa

from extensions import db
from models import ImportRecord
from tests.bundles import archive_bytes, download_urls, import_into, mirror_state, write_bundle
from tests.e2e.test_sync_faults import FAST
from tests.fault_upstream import (
    ArchiveStorage,
    archived_pairs,
    archives_on,
    fault_upstream,
    small_registry,
)
from tests.serving import free_port

MISSING = [("alpha", "1.0.0"), ("alpha", "1.1.0")]
ARCHIVES = len(archived_pairs(small_registry()))


@pytest.fixture
def dead_storage() -> str:
    """The URL of a storage host that refuses connections (nothing listens on its port)."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def partial_upstream(tmp_path, dead_storage):
    """Mirror A: the small registry without alpha's archives, whose downloadUrls name the dead
    storage host."""
    document = archives_on(small_registry(), dead_storage, "alpha")
    held = [pair for pair in archived_pairs(document) if pair not in MISSING]
    with fault_upstream(tmp_path, document, held) as upstream:
        upstream.document = document
        yield upstream


def sync(app, upstream, tmp_path, *options: str):
    """Run `flask mirror sync --with-archives` from `upstream` into `app`."""
    work = ("--work-dir", str(tmp_path / "work"))
    args = ["mirror", "sync", "--upstream", upstream.url, *FAST, *work, "--with-archives"]
    return app.test_cli_runner().invoke(args=[*args, *options])


def last_sync_summary(app) -> dict:
    """The summary of the newest import record."""
    with app.app_context():
        return db.session.scalar(sa.select(ImportRecord.summary).order_by(ImportRecord.id.desc()))


def assert_partial(result, dead_storage: str) -> None:
    """A sync that completed without alpha's archives, saying so and why."""
    assert result.exit_code == 3, result.output
    assert "missing archives (2; served with their upstream downloadUrl" in result.output
    for node_id, version in MISSING:
        url = f"{dead_storage}/{node_id}/{version}/node.zip"
        assert f"{node_id} {version}: {url}: the archive host {dead_storage} did not answer" in (
            result.output
        )
    # One probe of the dead host, not a download with retries per archive.
    assert "1 archive host probe(s)" in result.output
    assert f"{ARCHIVES - 2} downloads" in result.output
    assert "Partial: 2 archive(s) missing" in result.output


def test_a_partial_upstream_gives_a_partial_sync_filled_in_once_the_archives_arrive(
    app, partial_upstream, dead_storage, tmp_path
):
    result = sync(app, partial_upstream, tmp_path)

    assert_partial(result, dead_storage)
    client = app.test_client()
    served = [pair for pair in archived_pairs(partial_upstream.document) if pair not in MISSING]
    for node_id, version in served:
        answer = client.get(f"/archives/{node_id}/{version}/node.zip")
        assert answer.data == archive_bytes(node_id, version), (node_id, version)
    urls = download_urls(client, MISSING)
    assert urls == {(n, v): f"{dead_storage}/{n}/{v}/node.zip" for n, v in MISSING}
    summary = last_sync_summary(app)
    assert summary["partial"] is True
    assert [(m["node_id"], m["version"]) for m in summary["missing_archives"]] == MISSING
    status = app.test_cli_runner().invoke(args=["mirror", "status"]).output
    assert "; 2 versions lack theirs (served from upstream)" in status

    # A gains the archives; B's next sync downloads those two and nothing else.
    document = partial_upstream.document
    import_into(partial_upstream.app, write_bundle(tmp_path / "gained", document, MISSING))
    partial_upstream.downloads.clear()

    result = sync(app, partial_upstream, tmp_path)

    assert result.exit_code == 0, result.output
    assert dict(partial_upstream.downloads) == dict.fromkeys(MISSING, 1)
    for node_id, version in MISSING:
        answer = client.get(f"/archives/{node_id}/{version}/node.zip")
        assert answer.data == archive_bytes(node_id, version)
    assert last_sync_summary(app)["partial"] is False
    status = app.test_cli_runner().invoke(args=["mirror", "status", "--json"]).output
    assert json.loads(status)["archives"]["missing"] == 0


def test_the_next_sync_fetches_the_missing_archives_through_an_archive_host_map(
    app, partial_upstream, dead_storage, tmp_path
):
    assert_partial(sync(app, partial_upstream, tmp_path), dead_storage)
    partial_upstream.downloads.clear()

    # A did not change; the storage host is reached through another host instead.
    with ArchiveStorage() as storage:
        mapping = f"{dead_storage.removeprefix('http://')}={storage.url}"
        result = sync(app, partial_upstream, tmp_path, "--archive-host-map", mapping)

    assert result.exit_code == 0, result.output
    assert dict(storage.downloads) == dict.fromkeys(MISSING, 1)
    assert not partial_upstream.downloads
    for node_id, version in MISSING:
        answer = app.test_client().get(f"/archives/{node_id}/{version}/node.zip")
        assert answer.data == archive_bytes(node_id, version)


def test_a_sync_of_other_nodes_carries_the_missing_archives_over_to_the_next_sync(
    app, partial_upstream, dead_storage, tmp_path
):
    assert_partial(sync(app, partial_upstream, tmp_path), dead_storage)
    partial_upstream.downloads.clear()

    result = sync(app, partial_upstream, tmp_path, "--node", "gamma")

    assert result.exit_code == 0, result.output
    assert "archive host probe" not in result.output
    summary = last_sync_summary(app)
    assert summary["partial"] is False
    assert [(m["node_id"], m["version"]) for m in summary["missing_archives"]] == MISSING
    # The next whole sync tries them again (one probe of their still dead host).
    again = sync(app, partial_upstream, tmp_path)
    assert again.exit_code == 3, again.output
    assert "1 archive host probe(s)" in again.output


def test_require_archives_refuses_a_sync_that_lacks_some(app, partial_upstream, tmp_path):
    before = mirror_state(app)

    result = sync(app, partial_upstream, tmp_path, "--require-archives")

    assert result.exit_code == 1, result.output
    assert "failed; the mirror is unchanged" in result.output
    assert "2 archive(s) could not be downloaded" in result.output
    assert mirror_state(app) == before


def test_a_bundle_written_from_a_partial_upstream_lacks_only_the_missing_archives(
    app, partial_upstream, dead_storage, tmp_path
):
    partial_upstream.fail("downloads", times=None, status=404, within="/archives/gamma/0.1.0/")
    out = tmp_path / "bundle"

    result = sync(app, partial_upstream, tmp_path, "--out", str(out))

    assert result.exit_code == 3, result.output
    assert "gamma 0.1.0: GET " in result.output and "answered 404" in result.output
    manifest = json.loads((out / "manifest.json").read_text())
    bundled = {(entry["node_id"], entry["version"]) for entry in manifest["archives"]}
    expected = set(archived_pairs(partial_upstream.document)) - {*MISSING, ("gamma", "0.1.0")}
    assert bundled == expected
    document = json.loads(gzip.decompress((out / "dump.json.gz").read_bytes()))
    alpha = next(item for item in document["nodes"] if item["id"] == "alpha")
    urls = {v["version"]: v["downloadUrl"] for v in alpha["versions"]}
    assert urls["1.0.0"] == f"{dead_storage}/alpha/1.0.0/node.zip"


@pytest.mark.parametrize("mapping", ["no-equals", "=target", "host=", "host=ftp://x", "a/b=c"])
def test_a_malformed_archive_host_map_is_refused_before_any_request(
    app, partial_upstream, tmp_path, mapping
):
    result = sync(app, partial_upstream, tmp_path, "--archive-host-map", mapping)

    assert result.exit_code == 2
    assert "is not FROM=TO" in result.output
    assert not partial_upstream.requests


def test_archives_with_wrong_bytes_every_time_leave_a_partial_bundle(
    app, misbehaving_upstream, tmp_path
):
    misbehaving_upstream.corrupt_downloads(times=None)
    out = tmp_path / "bundle"

    result = sync(app, misbehaving_upstream, tmp_path, "--out", str(out), "--retries", "1")

    assert result.exit_code == 3, result.output
    assert f"missing archives ({ARCHIVES};" in result.output
    assert "the upstream's ETag announced" in result.output
    assert json.loads((out / "manifest.json").read_text())["archives"] == []
