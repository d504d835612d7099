"""Pull-through mode end to end: mirror B (real gunicorn, two workers, empty) pulls through from
mirror A (real gunicorn, seeded) or from a counting upstream that holds its answers; B serves what
it fetched after A is gone, and two workers asking for the same missing node fetch it once."""

import json
import threading
import time
from contextlib import ExitStack
from urllib.parse import urlsplit

import pytest

from tests.e2e.test_sync import Answers, archive_paths_only
from tests.fault_upstream import fault_upstream, small_registry
from tests.serving import flask, serve_mirror

ASKS = [
    "/nodes/comfyui-kjnodes",
    "/nodes/rgthree-comfy/versions",
    "/nodes/comfyui_essentials/install",
    "/nodes/comfyui-florence2/versions/1.0.4",
    "/nodes/comfyui-free-gpu-boost",
]
ARCHIVE = "/archives/comfyui-supir/1.1.2/node.zip"
PAIRS = [("comfyui-easy-use", "1.7.0"), ("ComfyUI-GGUF", "2.2.6"), ("no-such-pack", "1.0.0")]


def until(condition, seconds: float = 30) -> None:
    """Wait for `condition()` to hold, failing after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.02)


def answers(mirror: Answers) -> dict:
    """What B is asked, answered, downloadUrls cut to their paths."""
    found = {}
    for path in ASKS:
        status, body = mirror.get(path)
        found[path] = (status, archive_paths_only(json.loads(body)))
    found["bulk"] = archive_paths_only(mirror.bulk(PAIRS))
    return found


def test_an_empty_mirror_pulls_through_and_keeps_what_it_fetched(tmp_path):
    with ExitStack() as upstream_running:
        a = upstream_running.enter_context(serve_mirror(tmp_path / "a"))
        settings = {
            "MIRROR_PULL_THROUGH": a.url,
            "MIRROR_PULL_THROUGH_TIMEOUT": "30",
            "WEB_CONCURRENCY": "2",
        }
        (tmp_path / "b").mkdir()
        with serve_mirror(tmp_path / "b", seeded=False, **settings) as b:
            expected = answers(Answers(a.url))
            served = answers(Answers(b.url))
            assert served == expected
            assert served["/nodes/comfyui-free-gpu-boost"][0] == 403
            archive = Answers(b.url).get(ARCHIVE)
            assert archive == Answers(a.url).get(ARCHIVE)
            assert archive[0] == 200
            upstream_running.close()
            # A is gone: B answers from its own store, and never 500.
            assert answers(Answers(b.url)) == expected
            assert Answers(b.url).get(ARCHIVE) == archive
            status, _ = Answers(b.url).get("/nodes/comfyui-impact-pack")
            assert status == 404
            kjnodes = json.loads(Answers(b.url).get("/nodes/comfyui-kjnodes")[1])
            assert (
                urlsplit(kjnodes["latest_version"]["downloadUrl"]).netloc == urlsplit(b.url).netloc
            )
            shown = flask("mirror", "status", env=b.env)
            assert shown.returncode == 0, shown.stderr
            assert "Pull-through imports: 7; last: " in shown.stdout
            assert f"from {a.url}; sources: " in shown.stdout


def test_two_workers_missing_the_same_node_fetch_it_once(tmp_path):
    with fault_upstream(tmp_path, small_registry()) as upstream:
        upstream.hold("nodes", times=None)
        settings = {
            "MIRROR_PULL_THROUGH": upstream.url,
            "MIRROR_PULL_THROUGH_TIMEOUT": "30",
            "WEB_CONCURRENCY": "2",
        }
        (tmp_path / "b").mkdir()
        with serve_mirror(tmp_path / "b", seeded=False, **settings) as b:
            mirror = Answers(b.url)
            got = {}
            asks = [
                threading.Thread(target=lambda n=n: got.update({n: mirror.get("/nodes/alpha")}))
                for n in range(2)
            ]
            asks[0].start()
            until(lambda: upstream.holding == 1)
            asks[1].start()
            # The second ask, were it not waiting for the first one's fetch, would reach the
            # upstream (held there too) within this grace; it must not.
            with pytest.raises(AssertionError, match="gave up waiting"):
                until(lambda: upstream.holding > 1, seconds=1.5)
            upstream.released.set()
            for ask in asks:
                ask.join()
            assert [got[n][0] for n in range(2)] == [200, 200]
            assert got[0][1] == got[1][1]
            assert upstream.count("nodes") == 1
            assert upstream.count("version lists") == 1
