"""End to end: the real CLI loads seed data and real gunicorn serves it over HTTP."""

import http.client
import json
import threading
import urllib.parse
import urllib.request

import pytest

from tests.bundles import SEED_DUMP
from tests.dumps import dump, node, version, write
from tests.serving import flask, gunicorn, seed


def post_json(url: str, body, raw: bytes | None = None):
    """POST to the bulk endpoint; return (status, parsed JSON body)."""
    data = raw if raw is not None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{url}/bulk/nodes/versions",
        data=data,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def seeded(process_env):
    """The environment of a mirror loaded by `flask mirror seed`, as `make run` does."""
    seed(process_env)
    return process_env


def sample_pairs() -> list[tuple[str, str]]:
    document = json.loads(SEED_DUMP.read_text())
    return [(n["id"], v["version"]) for n in document["nodes"] for v in n["versions"]]


def test_seed_runs_once_then_skips(seeded):
    again = flask("mirror", "seed", env=seeded)
    assert again.returncode == 0
    assert "skipped" in again.stdout


def test_gunicorn_serves_every_seeded_pair(seeded):
    pairs = sample_pairs()
    assert len(pairs) > 100
    body = {"node_versions": [{"node_id": n, "version": v} for n, v in pairs]}
    body["node_versions"].append({"node_id": "author/repo", "version": ""})
    with gunicorn(seeded) as url:
        status, answer = post_json(url, body)
    assert status == 200
    results = answer["node_versions"]
    assert len(results) == len(pairs) + 1
    assert all(r["status"] == "success" for r in results[:-1])
    assert results[-1]["status"] == "error"
    statuses = {r["node_version"]["status"] for r in results[:-1]}
    assert len(statuses) == 5


def test_gunicorn_answers_errors_as_json(seeded):
    with gunicorn(seeded) as url:
        status, body = post_json(url, None, raw=b"{not json")
        assert status == 400
        assert set(body) == {"error", "message"}
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{url}/nodes/unknown/nothing", timeout=10)
        assert missing.value.code == 404
        assert json.loads(missing.value.read())["error"] == "Not Found"


def test_chunked_body_over_the_limit_is_413(seeded):
    env = {**seeded, "MIRROR_MAX_BODY_BYTES": "4096"}
    chunk = json.dumps([{"node_id": "a" * 90, "version": "1.0.0"}] * 20).encode()
    with gunicorn(env) as url:
        parsed = urllib.parse.urlparse(url)
        connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
        parts = [b'{"node_versions": ', chunk[:-1], b",", chunk[1:], b"}"]
        connection.request(
            "POST",
            "/bulk/nodes/versions",
            body=iter(parts),
            headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
            encode_chunked=True,
        )
        response = connection.getresponse()
        body = json.loads(response.read())
        connection.close()
    assert response.status == 413, body
    assert set(body) == {"error", "message"}


@pytest.mark.slow
def test_import_while_serving_switches_readers_to_the_new_data_whole(seeded, tmp_path):
    """Readers see the old data or the new, never half an import."""
    nodes = [node(f"fresh-pack-{i}", version("1.0.0"), version("1.1.0")) for i in range(300)]
    path = write(tmp_path / "fresh.json", dump(*nodes))
    asked = {"node_versions": [{"node_id": n["id"], "version": "1.1.0"} for n in nodes]}
    seen: list[int] = []
    statuses: list[int] = []
    with gunicorn(seeded) as url:
        stop = threading.Event()

        def keep_reading():
            while not stop.is_set():
                status, body = post_json(url, asked)
                statuses.append(status)
                seen.append(sum(r["status"] == "success" for r in body["node_versions"]))

        reader = threading.Thread(target=keep_reading)
        reader.start()
        try:
            result = flask("mirror", "import", str(path), env=seeded)
        finally:
            stop.set()
            reader.join(timeout=60)
        assert result.returncode == 0, result.stderr
        status, body = post_json(url, asked)
    assert status == 200
    assert all(r["status"] == "success" for r in body["node_versions"])
    assert statuses and set(statuses) == {200}
    assert set(seen) <= {0, 300}
