"""`flask mirror sync` against a misbehaving upstream: what it retries, what it gives up on and
how it says so, that it never leaves a half-written bundle or a half-changed mirror, and that an
interrupted sync resumes without fetching again the archives it already has."""

import gzip
import json
import os
import signal
import subprocess
import time

import pytest

from services.sync.releases import RELEASE_NOTE_REQUESTS
from tests.bundles import flip_byte, import_into, mirror_state, sha256, write_bundle
from tests.dumps import dump, node, version
from tests.fault_upstream import archived_pairs, small_registry
from tests.serving import BIN, ROOT, free_port

# Small timeouts and backoffs keep failures fast; --retries 2 means three tries in all.
FAST = ("--retries", "2", "--backoff", "0.01", "--connect-timeout", "1", "--read-timeout", "2")
ARCHIVES = len(archived_pairs(small_registry()))


@pytest.fixture
def own_pack(app, tmp_path) -> None:
    """The app, mirror B that syncs from the upstream, holds one node of its own."""
    import_into(app, write_bundle(tmp_path / "b-bundle", dump(node("own-pack", version("1.0.0")))))


def sync(app, upstream_url: str, *options: str):
    return app.test_cli_runner().invoke(
        args=["mirror", "sync", "--upstream", upstream_url, *FAST, *options]
    )


def sync_out(app, upstream_url: str, out, *options: str):
    return sync(app, upstream_url, "--out", str(out), *options)


def assert_failed_without_bundle(result, out, *phrases: str) -> None:
    assert result.exit_code == 1, result.output
    assert "failed; no bundle was written" in result.output
    for phrase in phrases:
        assert phrase in result.output
    assert not out.exists()


def test_500s_are_retried_and_the_retries_counted(app, own_pack, misbehaving_upstream, tmp_path):
    misbehaving_upstream.fail("node pages", times=2)
    misbehaving_upstream.fail("version lists", times=1)

    result = sync_out(app, misbehaving_upstream.url, tmp_path / "bundle")

    assert result.exit_code == 0, result.output
    assert "requests: 1 node pages, 4 version lists" in result.output
    assert "; 3 retries" in result.output
    assert misbehaving_upstream.count("node pages") == 3
    assert misbehaving_upstream.count("version lists") == 5


def test_a_permanent_500_fails_clearly_and_writes_no_bundle(
    app, own_pack, misbehaving_upstream, tmp_path
):
    misbehaving_upstream.fail("version lists", times=None, status=503)
    out = tmp_path / "bundle"

    result = sync_out(app, misbehaving_upstream.url, out)

    assert_failed_without_bundle(
        result, out, "kept answering 503 (injected 503) after 2 retries", "try again later"
    )
    # Nothing arrived that a rerun could reuse, so nothing is left behind.
    assert not (tmp_path / "bundle.partial").exists()


@pytest.mark.parametrize("with_archives", [False, True])
def test_a_failed_sync_into_the_mirror_leaves_it_unchanged(
    app, own_pack, misbehaving_upstream, tmp_path, with_archives
):
    before = mirror_state(app)
    if with_archives:
        misbehaving_upstream.cut_downloads(times=None)
    else:
        misbehaving_upstream.fail("version lists", times=None)
    options = ["--require-archives"] if with_archives else []

    result = sync(app, misbehaving_upstream.url, "--work-dir", str(tmp_path / "work"), *options)

    assert result.exit_code == 1, result.output
    assert "failed; the mirror is unchanged" in result.output
    assert mirror_state(app) == before


def test_a_hang_past_the_read_timeout_is_retried(app, own_pack, misbehaving_upstream, tmp_path):
    # A timeout far above any answer's time on a loaded machine, so only the hang is retried.
    misbehaving_upstream.hang("node pages", seconds=8, times=1)

    result = sync_out(app, misbehaving_upstream.url, tmp_path / "bundle", "--read-timeout", "2")

    assert result.exit_code == 0, result.output
    assert "; 1 retries" in result.output
    assert (tmp_path / "bundle" / "manifest.json").is_file()


def test_a_persistent_hang_fails_with_advice(app, own_pack, misbehaving_upstream, tmp_path):
    misbehaving_upstream.hang("version lists", seconds=1.5, times=None)
    out = tmp_path / "bundle"
    began = time.monotonic()

    result = sync_out(app, misbehaving_upstream.url, out, "--read-timeout", "0.3", "--retries", "1")

    assert_failed_without_bundle(result, out, "within 0.3 s", "raise --read-timeout")
    assert time.monotonic() - began < 10


def test_429_retry_after_is_honoured(app, own_pack, misbehaving_upstream, tmp_path):
    misbehaving_upstream.throttle("node pages", retry_after=1, times=1)
    began = time.monotonic()

    result = sync_out(app, misbehaving_upstream.url, tmp_path / "bundle")

    assert result.exit_code == 0, result.output
    assert time.monotonic() - began >= 1
    assert "; 1 retries" in result.output
    assert misbehaving_upstream.count("node pages") == 2


def test_an_unreachable_upstream_says_what_to_check(app, own_pack, tmp_path):
    out = tmp_path / "bundle"

    result = sync_out(app, f"http://127.0.0.1:{free_port()}", out)

    assert_failed_without_bundle(
        result, out, "could not reach http://127.0.0.1:", "check --upstream and the network"
    )


def test_an_upstream_that_is_not_a_registry_is_named(app, own_pack, misbehaving_upstream, tmp_path):
    out = tmp_path / "bundle"

    result = sync_out(app, f"{misbehaving_upstream.url}/openapi.json", out)

    assert_failed_without_bundle(result, out, "answered 404", "check --upstream")


def bundle_archives(out) -> dict[str, str]:
    """Every archive file of a bundle folder: path -> sha256."""
    return {
        path.relative_to(out).as_posix(): sha256(path.read_bytes())
        for path in sorted((out / "archives").rglob("*.zip"))
    }


@pytest.mark.parametrize("fault", ["cut_downloads", "corrupt_downloads"])
def test_a_download_cut_short_or_corrupted_once_is_fetched_again(
    app, own_pack, misbehaving_upstream, tmp_path, fault
):
    getattr(misbehaving_upstream, fault)(times=1)
    out = tmp_path / "bundle"

    result = sync_out(app, misbehaving_upstream.url, out, "--with-archives")

    assert result.exit_code == 0, result.output
    assert (
        f"{ARCHIVES} downloads, 10 comfy-node lists, "
        f"{RELEASE_NOTE_REQUESTS} release notes; 1 retries" in result.output
    )
    assert sum(misbehaving_upstream.downloads.values()) == ARCHIVES + 1
    served = {f"archives/{n}/{v}.zip" for n, v in archived_pairs(small_registry())}
    assert set(bundle_archives(out)) == served


@pytest.mark.parametrize(
    ("fault", "problem"),
    [
        ("cut_downloads", "the download broke off"),
        ("corrupt_downloads", "the upstream's ETag announced"),
    ],
)
def test_a_download_that_never_arrives_whole_is_listed_and_fails_the_sync(
    app, own_pack, misbehaving_upstream, tmp_path, fault, problem
):
    getattr(misbehaving_upstream, fault)(times=None)
    out = tmp_path / "bundle"

    result = sync_out(app, misbehaving_upstream.url, out, "--require-archives", "--retries", "1")

    assert_failed_without_bundle(
        result, out, f"{ARCHIVES} archive(s) could not be downloaded", problem
    )
    assert "alpha 1.0.0: " in result.output
    assert "gave up after 1 retries" in result.output
    assert not (tmp_path / "bundle.partial").exists()


def test_archives_that_arrived_before_a_failure_are_kept_for_the_rerun(
    app, own_pack, misbehaving_upstream, tmp_path
):
    misbehaving_upstream.fail("downloads", times=None, status=404, within="/archives/alpha/")
    out = tmp_path / "bundle"

    result = sync_out(app, misbehaving_upstream.url, out, "--require-archives", "--jobs", "1")

    assert_failed_without_bundle(result, out, "2 archive(s) could not be downloaded")
    assert f"The {ARCHIVES - 2} archive(s) that arrived are kept in" in result.output
    assert "run the same command again to resume" in result.output
    journal = (tmp_path / "bundle.partial" / "journal.jsonl").read_text().splitlines()
    assert len(journal) == ARCHIVES - 2


def test_a_rerun_reuses_journaled_archives_that_still_hash_right_and_fetches_the_rest(
    app, own_pack, misbehaving_upstream, tmp_path
):
    misbehaving_upstream.fail("downloads", times=None, status=404, within="/archives/alpha/")
    out, partial = tmp_path / "bundle", tmp_path / "bundle.partial"
    assert sync_out(app, misbehaving_upstream.url, out, "--require-archives").exit_code == 1
    flip_byte(partial / "archives" / "gamma" / "0.1.0.zip")
    misbehaving_upstream.faults.clear()
    misbehaving_upstream.downloads.clear()

    result = sync_out(app, misbehaving_upstream.url, out, "--require-archives")

    assert result.exit_code == 0, result.output
    assert f"3 downloaded (0.0 MB), {ARCHIVES - 3} reused from an interrupted run" in result.output
    refetched = [("alpha", "1.0.0"), ("alpha", "1.1.0"), ("gamma", "0.1.0")]
    assert sorted(misbehaving_upstream.downloads) == refetched
    manifest = json.loads((out / "manifest.json").read_text())
    for entry in manifest["archives"]:
        assert sha256((out / entry["path"]).read_bytes()) == entry["sha256"]


def test_publishers_embedded_without_their_fields_are_fetched_once(
    app, own_pack, misbehaving_upstream, tmp_path
):
    def strip_publishers(page):
        for item in page["nodes"]:
            if "publisher" in item:
                item["publisher"] = {"id": item["publisher"]["id"]}
        return page

    misbehaving_upstream.rewrites["node pages"] = strip_publishers

    result = sync_out(app, misbehaving_upstream.url, tmp_path / "bundle")

    assert result.exit_code == 0, result.output
    # Two embedded without their fields, then the whole list (GET /publishers) once.
    assert "3 publishers, 0 downloads" in result.output
    assert sorted(r for r in misbehaving_upstream.requests if r.startswith("/publishers/")) == [
        "/publishers/pub-one",
        "/publishers/pub-two",
    ]
    document = json.loads(gzip.decompress((tmp_path / "bundle" / "dump.json.gz").read_bytes()))
    assert [p["name"] for p in document["publishers"]] == ["Publisher One", "Publisher Two"]


def journal_lines(partial) -> int:
    try:
        return (partial / "journal.jsonl").read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


@pytest.mark.slow
def test_an_interrupted_sync_resumes_without_fetching_finished_archives(
    misbehaving_upstream, process_env, tmp_path
):
    out, partial = tmp_path / "bundle", tmp_path / "bundle.partial"
    env = {**os.environ, "FLASK_APP": "app", **process_env}
    command = [str(BIN / "flask"), "mirror", "sync", "--upstream", misbehaving_upstream.url, *FAST]
    command += ["--out", str(out), "--with-archives", "--jobs", "1"]
    misbehaving_upstream.download_delay = 0.3
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while journal_lines(partial) < 3 and process.poll() is None:
            assert time.monotonic() < deadline, "no archive was journaled in time"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=10)
    assert not out.exists()
    journal = [json.loads(line) for line in (partial / "journal.jsonl").read_text().splitlines()]
    finished = {(entry["node_id"], entry["version"]) for entry in journal}
    assert 3 <= len(finished) < ARCHIVES
    misbehaving_upstream.download_delay = 0

    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
    assert f"{len(finished)} reused from an interrupted run" in result.stdout
    assert "resuming the unfinished sync" in result.stderr
    for pair in finished:
        assert misbehaving_upstream.downloads[pair] == 1, pair
    assert set(misbehaving_upstream.downloads) == set(archived_pairs(small_registry()))
    assert not partial.exists()
    assert sorted(os.listdir(out)) == ["archives", "dump.json.gz", "manifest.json"]


def break_one_date(versions):
    return [{**v, "createdAt": "last tuesday"} if v["version"] == "1.1.0" else v for v in versions]


def test_data_the_mirror_would_refuse_fails_the_sync_naming_the_node(
    app, own_pack, misbehaving_upstream, tmp_path
):
    misbehaving_upstream.rewrites["version lists"] = break_one_date
    before = mirror_state(app)

    result = sync(app, misbehaving_upstream.url, "--work-dir", str(tmp_path / "work"))

    assert result.exit_code == 1, result.output
    assert "failed; the mirror is unchanged" in result.output
    assert "the upstream's data was refused:" in result.output
    assert "node 'alpha'.versions[" in result.output
    assert "createdAt: Not a valid datetime." in result.output
    assert mirror_state(app) == before


def test_refused_data_is_found_before_any_archive_is_downloaded(
    app, own_pack, misbehaving_upstream, tmp_path
):
    misbehaving_upstream.rewrites["version lists"] = break_one_date
    out = tmp_path / "bundle"

    result = sync_out(app, misbehaving_upstream.url, out, "--with-archives")

    assert_failed_without_bundle(result, out, "node 'alpha'.versions[")
    assert misbehaving_upstream.count("downloads") == 0
