"""`flask mirror sync` end to end: mirror A (real gunicorn, loaded from the sample bundle) is the
upstream; mirrors synced from it, with and without archives, directly or through a bundle, must
answer every read and bulk request exactly as A does, and an incremental sync must fetch only
what changed on A."""

import gzip
import json
import math
import re
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
import sqlalchemy as sa

from extensions import db
from models import ImportRecord, NodeVersionStatus, ReleaseProject
from services.sync.releases import LOCALES, RELEASE_NOTE_REQUESTS
from tests.bundles import (
    SEED_DATA,
    SEED_DUMP,
    archive_bytes,
    import_into,
    stored_files,
    write_bundle,
)
from tests.dumps import dump, node
from tests.serving import flask, serve_mirror

SAMPLE = json.loads(SEED_DUMP.read_text())
NODE_IDS = [item["id"] for item in SAMPLE["nodes"]]
PAIRS = [(item["id"], v["version"]) for item in SAMPLE["nodes"] for v in item["versions"]]
ARCHIVED = [
    (a["node_id"], a["version"])
    for a in json.loads((SEED_DATA / "manifest.json").read_text())["archives"]
]
PUBLISHER_IDS = sorted({item["publisher"]["id"] for item in SAMPLE["nodes"]})
MISSES = [
    ("no-such-pack", "1.0.0"),
    ("comfyui-kjnodes", "0.0.1-nope"),
    ("author/repo", ""),
    ("", ""),
]
STATUSES = "&".join(f"statuses={status.value}" for status in NodeVersionStatus)
FAST = ("--retries", "2", "--backoff", "0.01")
# What a whole-registry sync asks for release notes, after the nodes: each project in each locale.
RELEASE_NOTE_QUERIES = [
    f"GET /releases?project={project}&locale={locale}"
    for project in ReleaseProject
    for locale in LOCALES
]


class Answers:
    """GET and bulk answers of one mirror, through HTTP (A) or the test client (B, C)."""

    def __init__(self, url: str | None = None, app=None):
        self.url, self.client = url, app.test_client() if app else None

    def get(self, path: str) -> tuple[int, bytes]:
        if self.client is not None:
            response = self.client.get(path)
            return response.status_code, response.data
        try:
            with urllib.request.urlopen(self.url + path, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def bulk(self, pairs) -> dict:
        body = {"node_versions": [{"node_id": n, "version": v} for n, v in pairs]}
        if self.client is not None:
            return self.client.post("/bulk/nodes/versions", json=body).json
        request = urllib.request.Request(
            f"{self.url}/bulk/nodes/versions",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def everything(self, node_ids=NODE_IDS, pairs=PAIRS, publisher_ids=PUBLISHER_IDS) -> dict:
        """Every read answer that depends on the data, and the bulk answer to every pair."""
        paths = [
            f"/nodes?page={page}&limit=7" for page in range(1, math.ceil(len(node_ids) / 7) + 2)
        ]
        paths += ["/nodes?limit=100&include_banned=false", "/nodes/search?search=video&limit=100"]
        for node_id in node_ids:
            quoted = quote(node_id, safe="")
            paths += [
                f"/nodes/{quoted}",
                f"/nodes/{quoted}/versions?include_status_reason=true&{STATUSES}",
                f"/nodes/{quoted}/versions",
                f"/nodes/{quoted}/install",
            ]
        pages = math.ceil(len(pairs) / 100) + 1
        paths += [
            f"/versions?page={p}&pageSize=100&include_status_reason=true"
            for p in range(1, pages + 1)
        ]
        paths += [f"/versions?page=1&pageSize=100&statuses={NodeVersionStatus.DELETED.value}"]
        paths += [f"/publishers/{quote(publisher_id)}" for publisher_id in publisher_ids]
        answers = {}
        for path in paths:
            status, body = self.get(path)
            answers[path] = (status, json.loads(body))
        answers["bulk"] = (200, self.bulk([*pairs, *MISSES]))
        return answers


def archive_paths_only(document):
    """The document with every downloadUrl cut to its path: mirrors differ only in their host."""
    if isinstance(document, dict):
        return {
            key: urlsplit(value).path if key == "downloadUrl" else archive_paths_only(value)
            for key, value in document.items()
        }
    if isinstance(document, list):
        return [archive_paths_only(item) for item in document]
    return document


def assert_same_answers(expected: dict, actual: dict, hosts_differ: bool) -> None:
    assert actual.keys() == expected.keys()
    for path, answer in expected.items():
        if hosts_differ:
            answer = (answer[0], archive_paths_only(answer[1]))
            actual[path] = (actual[path][0], archive_paths_only(actual[path][1]))
        assert actual[path] == answer, path


def assert_archives_match(a: Answers, b: Answers, pairs) -> None:
    """B serves every archive A serves, byte for byte, from its own URL."""
    for node_id, version in pairs:
        path = f"/archives/{quote(node_id, safe='')}/{quote(version, safe='')}/node.zip"
        a_status, a_bytes = a.get(path)
        assert (a_status, b.get(path)) == (200, (200, a_bytes)), path


def sync(app, url: str, *options: str):
    result = app.test_cli_runner().invoke(
        args=["mirror", "sync", "--upstream", url, *FAST, *options]
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_a_sync_without_archives_answers_exactly_like_its_upstream(
    seeded_server, make_mirror, tmp_path
):
    url = seeded_server.url
    b = make_mirror()
    output = sync(b, url, "--work-dir", str(tmp_path / "work"))

    assert f"full: this mirror records no earlier sync from {url}" in output
    assert "nodes: 36 in 1 page(s); versions: 225; publishers: 15" in output
    # A version list per node; the banned node's (refused: 403) from the pages of all versions;
    # the list of every publisher once.
    assert "1 node pages, 36 version lists, 3 version pages, 1 publishers, 0 downloads" in output
    # Without archives B keeps A's download URLs, so even they are equal.
    assert_same_answers(Answers(url).everything(), Answers(app=b).everything(), hosts_differ=False)
    assert stored_files(b) == {}
    assert not list((tmp_path / "work").iterdir())
    again = sync(b, url, "--work-dir", str(tmp_path / "work"))
    assert "incremental: nodes changed since" in again
    assert "1 node pages, 0 version lists" in again
    assert "nothing changed" in again


def test_a_sync_with_archives_serves_byte_identical_archives_of_its_own(
    seeded_server, make_mirror, tmp_path
):
    url = seeded_server.url
    b = make_mirror()
    output = sync(b, url, "--with-archives", "--work-dir", str(tmp_path / "work"))

    assert f"archives: {len(ARCHIVED)} downloaded" in output
    assert "20 not mirrored (Deleted or Banned), 0 failed" in output
    a, b_answers = Answers(url), Answers(app=b)
    expected, actual = a.everything(), b_answers.everything()
    own = [
        item["node_version"]["downloadUrl"]
        for item in actual["bulk"][1]["node_versions"]
        if item["status"] == "success"
    ]
    assert sum(u.startswith("http://localhost/archives/") for u in own) == len(ARCHIVED)
    assert_same_answers(expected, actual, hosts_differ=True)
    assert_archives_match(a, b_answers, ARCHIVED)


def test_a_bundle_written_with_out_imports_into_an_empty_mirror_with_the_same_answers(
    seeded_server, make_mirror, tmp_path
):
    url = seeded_server.url
    out = tmp_path / "bundle"
    b = make_mirror()
    output = sync(b, url, "--out", str(out), "--with-archives")
    assert f"Wrote the bundle {out}" in output
    with b.app_context():
        assert (
            db.session.execute(sa.select(sa.func.count()).select_from(ImportRecord)).scalar() == 0
        )
    assert sorted(p.name for p in out.iterdir()) == ["archives", "dump.json.gz", "manifest.json"]
    assert not (tmp_path / "bundle.partial").exists()
    c = make_mirror()
    import_into(c, out)
    a, c_answers = Answers(url), Answers(app=c)
    assert_same_answers(a.everything(), c_answers.everything(), hosts_differ=True)
    assert_archives_match(a, c_answers, ARCHIVED)


def test_out_onto_an_existing_bundle_or_another_syncs_work_is_refused(
    seeded_server, make_mirror, tmp_path
):
    url = seeded_server.url
    out = tmp_path / "bundle"
    b = make_mirror()
    sync(b, url, "--out", str(out), "--node", "comfyui-kjnodes")
    again = b.test_cli_runner().invoke(
        args=["mirror", "sync", "--upstream", url, "--out", str(out)]
    )
    assert again.exit_code == 1
    assert "already exists: a finished bundle is never overwritten" in again.output

    (tmp_path / "other.partial").mkdir()
    (tmp_path / "other.partial" / "sync-state.json").write_text(
        json.dumps({"identity": {"upstream": "https://elsewhere.example"}})
    )
    other = b.test_cli_runner().invoke(
        args=["mirror", "sync", "--upstream", url, "--out", str(tmp_path / "other")]
    )
    assert other.exit_code == 1
    assert "holds an unfinished sync from https://elsewhere.example" in other.output
    assert "remove" in other.output


def dump_node_ids(bundle: Path) -> list[str]:
    document = json.loads(gzip.decompress((bundle / "dump.json.gz").read_bytes()))
    return [item["id"] for item in document["nodes"]]


def test_node_allow_lists_fetch_only_those_nodes(seeded_server, make_mirror, tmp_path):
    url, log = seeded_server.url, seeded_server.log
    nodes_file = tmp_path / "nodes.txt"
    nodes_file.write_text("# packs we use\ncomfyui-kjnodes  # KJ\n\nrgthree-comfy\n")
    b = make_mirror()
    log.mark()
    output = sync(
        b,
        url,
        "--out",
        str(tmp_path / "bundle"),
        "--node",
        "ComfyUI-GGUF",
        "--nodes-file",
        str(nodes_file),
        "--node",
        "no-such-pack",
    )
    requests = log.since_mark()
    assert "full, for 4 listed node(s)" in output
    assert "warning: not in the upstream: no-such-pack" in output
    assert dump_node_ids(tmp_path / "bundle") == [
        "ComfyUI-GGUF",
        "comfyui-kjnodes",
        "rgthree-comfy",
    ]
    [page, *lists] = requests
    assert page.startswith("GET /nodes?page=1&limit=100&include_banned=true&node_id=")
    assert sorted(re.findall(r"node_id=([^&]+)", page)) == [
        "ComfyUI-GGUF",
        "comfyui-kjnodes",
        "no-such-pack",
        "rgthree-comfy",
    ]
    paths = [r.split("?")[0] for r in lists]
    assert sorted(path for path in paths if not path.endswith("/comfy-nodes")) == [
        f"GET /nodes/{n}/versions" for n in ("ComfyUI-GGUF", "comfyui-kjnodes", "rgthree-comfy")
    ]
    # And the node classes of those nodes' versions only.
    assert {path.split("/")[2] for path in paths if path.endswith("/comfy-nodes")} == {
        "ComfyUI-GGUF",
        "comfyui-kjnodes",
        "rgthree-comfy",
    }


def test_a_long_allow_list_is_asked_for_50_ids_at_a_time(seeded_server, make_mirror, tmp_path):
    url, log = seeded_server.url, seeded_server.log
    unknown = [f"unknown-pack-{index}" for index in range(24)]
    nodes_file = tmp_path / "nodes.txt"
    nodes_file.write_text("\n".join([*NODE_IDS, *unknown]))
    b = make_mirror()
    log.mark()
    output = sync(b, url, "--out", str(tmp_path / "bundle"), "--nodes-file", str(nodes_file))
    pages = [r for r in log.since_mark() if r.startswith("GET /nodes?")]
    assert [len(re.findall("node_id=", page)) for page in pages] == [50, 10]
    assert len(dump_node_ids(tmp_path / "bundle")) == len(NODE_IDS)
    assert f"warning: not in the upstream: {', '.join(sorted(unknown))}" in output


def test_a_sync_of_some_nodes_is_not_where_a_whole_sync_starts_from(
    seeded_server, make_mirror, tmp_path
):
    url = seeded_server.url
    work = ("--work-dir", str(tmp_path / "work"))
    b = make_mirror()
    sync(b, url, "--node", "comfyui-kjnodes", *work)
    output = sync(b, url, *work)
    with b.app_context():
        records = db.session.execute(sa.select(ImportRecord).order_by(ImportRecord.id))
        records = [(r.kind, r.origin, r.started_at < r.finished_at) for r in records.scalars()]
    assert "full: this mirror records no earlier sync" in output
    assert records == [("sync-nodes", url, True), ("sync", url, True)]


def test_an_explicit_since_asks_the_upstream_for_changes_after_it(
    seeded_server, make_mirror, tmp_path
):
    url, log = seeded_server.url, seeded_server.log
    b = make_mirror()
    log.mark()
    output = sync(b, url, "--since", "2999-01-01T00:00:00+01:00", "--out", str(tmp_path / "out"))
    assert "incremental: nodes changed since 2998-12-31T23:00:00.000000Z (--since)" in output
    assert log.since_mark() == [
        "GET /nodes?page=1&limit=100&include_banned=true&timestamp=2998-12-31T23%3A00%3A00.000000Z",
        *RELEASE_NOTE_QUERIES,
        "GET /publishers",
    ]


def changes_on_a(folder: Path) -> tuple[Path, dict]:
    """A bundle changing A: a new version of one node, a version of another now Deleted, a new
    node; with archives for the new versions."""
    by_id = {item["id"]: item for item in SAMPLE["nodes"]}
    kj = {**by_id["comfyui-kjnodes"], "versions": []}
    kj["versions"].append(
        {"version": "9.9.9", "changelog": "New.", "createdAt": "2026-11-29T00:00:00Z"}
    )
    gguf = dict(by_id["ComfyUI-GGUF"])
    [deleted] = [v for v in gguf["versions"] if v["version"] == "2.2.6"]
    assert deleted["status"] == "NodeVersionStatusActive"
    gguf["versions"] = [{**deleted, "status": "NodeVersionStatusDeleted"}]
    fresh = node(
        "comfyui-brand-new",
        {"version": "1.0.0"},
        {"version": "1.1.0", "status": "NodeVersionStatusPending"},
        name="Brand New",
        publisher={"id": by_id["comfyui-kjnodes"]["publisher"]["id"]},
    )
    archived = [
        ("comfyui-kjnodes", "9.9.9"),
        ("comfyui-brand-new", "1.0.0"),
        ("comfyui-brand-new", "1.1.0"),
    ]
    bundle = write_bundle(folder / "changes", dump(kj, gguf, fresh), archived)
    return bundle, {
        "nodes": ["ComfyUI-GGUF", "comfyui-brand-new", "comfyui-kjnodes"],
        "archives": archived,
    }


@pytest.mark.slow
def test_an_incremental_sync_fetches_only_what_changed(make_mirror, tmp_path):
    work = ("--work-dir", str(tmp_path / "work"))
    b = make_mirror()
    # Mirror A of its own: this test changes it.
    with serve_mirror(tmp_path / "a") as served:
        url, log = served.url, served.log
        sync(b, url, "--with-archives", *work)
        bundle, changed = changes_on_a(tmp_path)
        result = flask("mirror", "import", str(bundle), env=served.env)
        assert result.returncode == 0, result.stderr
        log.mark()

        output = sync(b, url, "--with-archives", *work)

        requests = log.since_mark()
        assert "incremental: nodes changed since" in output
        assert "nodes: 3 in 1 page(s)" in output
        [page, *rest] = requests
        assert re.fullmatch(
            r"GET /nodes\?page=1&limit=100&include_banned=true&timestamp=\S+Z", page
        )
        paths = [r.split("?")[0] for r in rest]
        # Node classes only of the changed nodes' versions.
        assert {p.split("/")[2] for p in paths if p.endswith("/comfy-nodes")} == set(
            changed["nodes"]
        )
        assert sorted(p for p in paths if not p.endswith("/comfy-nodes")) == sorted(
            [f"GET /nodes/{n}/versions" for n in changed["nodes"]]
            + [f"GET /archives/{n}/{v}/node.zip" for n, v in changed["archives"]]
            + ["GET /releases"] * RELEASE_NOTE_REQUESTS
            + ["GET /publishers"]
        )
        assert "archives: 3 downloaded" in output
        node_ids = sorted([*NODE_IDS, "comfyui-brand-new"], key=str.lower)
        pairs = [
            *PAIRS,
            ("comfyui-kjnodes", "9.9.9"),
            *(("comfyui-brand-new", v) for v in ("1.0.0", "1.1.0")),
        ]
        a, b_answers = Answers(url), Answers(app=b)
        assert_same_answers(
            a.everything(node_ids, pairs), b_answers.everything(node_ids, pairs), hosts_differ=True
        )
        assert_archives_match(a, b_answers, [*ARCHIVED, *changed["archives"]])
        assert (
            archive_bytes("comfyui-brand-new", "1.0.0")
            == b_answers.get("/archives/comfyui-brand-new/1.0.0/node.zip")[1]
        )
