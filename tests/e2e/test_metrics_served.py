"""/metrics under real gunicorn with two workers: every worker's requests add up, a previous
run's figures are emptied at start; the access log's one line per request; nginx's template
keeps /metrics to the local network and gives each request its id."""

import http.client
import json
import os
import re
import signal
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.multiprocess import MultiProcessCollector

from tests.http_wire import get, post_json
from tests.metrics import parse_samples, value
from tests.nginx import nginx
from tests.serving import serve_mirror

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REQUESTS = "mirror_http_requests_total"
LABELS = ["route", "method", "status"]
# A route the start-up checks never ask for, so its count is the test's requests alone.
MISSING_NODE = {"route": "/nodes/<nodeId>", "method": "GET", "status": "404"}
BATCH = 16
LINE = re.compile(
    r'(?P<client>\S+) \[[^\]]+\] (?P<id>\S+) "(?P<request>[^"]+)" (?P<status>\d{3}) \S+ '
    r'(?P<ms>\d+)ms route=(?P<route>\S+) pairs=(?P<pairs>\S+) "[^"]*"'
)


def plant_stale_counts(folder: Path) -> None:
    """A previous run's counter file, counting 1,000 requests gunicorn must not add up."""
    stale = MmapedDict(str(folder / "counter_999999.db"))
    key = mmap_key(
        REQUESTS.removesuffix("_total"), REQUESTS, LABELS, list(MISSING_NODE.values()), ""
    )
    stale.write_value(key, 1000.0, 0.0)
    stale.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The seeded mirror under gunicorn with two workers and its own multiprocess folder."""
    folder = tmp_path_factory.mktemp("metrics")
    metrics = folder / "prometheus"
    metrics.mkdir()
    plant_stale_counts(metrics)
    settings = {"WEB_CONCURRENCY": "2", "PROMETHEUS_MULTIPROC_DIR": str(metrics)}
    with serve_mirror(folder, **settings) as mirror:
        yield mirror


def scrape(url: str) -> dict[tuple, float]:
    """GET /metrics from the served mirror; its samples."""
    answer = get(url, "/metrics")
    assert answer.status == 200, answer.body
    return parse_samples(answer.body.decode())


def parse_file(path: Path) -> dict[tuple, float]:
    """The samples one process's file holds."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for metric in MultiProcessCollector.merge([str(path)])
        for sample in metric.samples
    }


def counts_by_worker(folder: Path) -> list[float]:
    """The missing-node requests each process's file counts (workers that counted some)."""
    counts = [
        value(parse_file(path), REQUESTS, **MISSING_NODE) for path in folder.glob("counter_*.db")
    ]
    return [counted for counted in counts if counted]


def test_requests_answered_by_both_workers_add_up(served):
    folder = Path(served.env["PROMETHEUS_MULTIPROC_DIR"])
    before = value(scrape(served.url), REQUESTS, **MISSING_NODE)
    assert not (folder / "counter_999999.db").exists()
    sent = 0
    with ThreadPoolExecutor(BATCH) as pool:
        # Connections go to whichever worker accepts first; send until both have answered some.
        while len(counts_by_worker(folder)) < 2 and sent < 40 * BATCH:
            statuses = pool.map(
                lambda n: get(served.url, f"/nodes/absent-{n}").status, range(BATCH)
            )
            assert set(statuses) == {404}
            sent += BATCH
    per_worker = counts_by_worker(folder)
    assert len(per_worker) == 2, f"one worker answered all {sent} requests"
    assert sum(per_worker) == before + sent
    assert value(scrape(served.url), REQUESTS, **MISSING_NODE) == before + sent


def logged_line(served, request_id: str, seconds: float = 30) -> dict:
    """The access-log line of the request with this id, as named fields, once it is written."""
    deadline = time.monotonic() + seconds
    while True:
        lines = served.log.path.read_text(encoding="utf-8").splitlines()
        found = [line for line in lines if f" {request_id} " in line]
        if found:
            (line,) = found
            fields = LINE.fullmatch(line)
            assert fields is not None, line
            return fields.groupdict()
        assert time.monotonic() < deadline, f"no access-log line for {request_id}: {lines[-5:]}"
        time.sleep(0.02)


def test_the_access_log_line_of_a_bulk_request(served):
    pairs = [{"node_id": "comfyui-kjnodes", "version": "1.0.0"}, {"node_id": "a", "version": "1"}]
    pairs.append({"node_id": "", "version": ""})
    headers = {"X-Request-Id": "e2e-bulk-1"}
    answer = post_json(served.url, "/bulk/nodes/versions", {"node_versions": pairs}, headers)
    assert answer.headers["X-Request-Id"] == "e2e-bulk-1"
    line = logged_line(served, "e2e-bulk-1")
    assert line["request"] == "POST /bulk/nodes/versions HTTP/1.1"
    assert (line["status"], line["route"], line["pairs"]) == ("200", "/bulk/nodes/versions", "3")
    assert int(line["ms"]) >= 0


def test_the_access_log_line_of_a_read_carries_the_route_template(served):
    made = get(served.url, "/nodes/absent-pack").headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    line = logged_line(served, made)
    assert line["request"] == "GET /nodes/absent-pack HTTP/1.1"
    assert (line["status"], line["route"], line["pairs"]) == ("404", "/nodes/<nodeId>", "-")


def get_from(url: str, target: str, source: str, headers: dict | None = None):
    """GET `target`, connecting from the local address `source`: (status, headers, body)."""
    parsed = urllib.parse.urlparse(url)
    connection = http.client.HTTPConnection(
        parsed.hostname, parsed.port, timeout=30, source_address=(source, 0)
    )
    try:
        connection.request("GET", target, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("prefix", ["", "/registry"], ids=["root", "registry"])
def test_nginx_serves_metrics_to_the_local_network_only(served, tmp_path, prefix):
    archives = served.env["MIRROR_ARCHIVE_DIR"]
    with nginx(tmp_path / "nginx", served.url, archives, prefix) as url:
        status, _, body = get_from(url, prefix + "/metrics", "127.0.0.1")
        assert status == 200
        assert REQUESTS in body.decode()
        # 127.0.0.2 is this machine too, but not an address the template allows.
        status, headers, body = get_from(url, prefix + "/metrics", "127.0.0.2")
        assert status == 403
        assert headers["Content-Type"] == "application/json"
        assert json.loads(body) == {
            "error": "Forbidden",
            "message": "The metrics are served to the local network only.",
        }


def test_nginx_gives_each_request_its_own_id(served, tmp_path):
    archives = served.env["MIRROR_ARCHIVE_DIR"]
    with nginx(tmp_path / "nginx", served.url, archives) as url:
        ids = {
            get_from(url, "/health", "127.0.0.1", {"X-Request-Id": "chosen-by-client"})[1][
                "X-Request-Id"
            ]
            for _ in range(2)
        }
    assert len(ids) == 2
    assert all(re.fullmatch(r"[0-9a-f]{32}", made) for made in ids)


def test_with_metrics_off_requests_keep_their_ids_and_log_lines(tmp_path):
    with serve_mirror(tmp_path, seeded=False, MIRROR_METRICS="0") as mirror:
        answer = get(mirror.url, "/metrics")
        assert answer.status == 404
        assert "MIRROR_METRICS=0" in answer.json()["message"]
        made = get(mirror.url, "/nodes/absent-pack").headers["X-Request-Id"]
        line = logged_line(mirror, made)
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert (line["route"], line["status"]) == ("/nodes/<nodeId>", "404")


def parent_of(pid: int) -> tuple[int, str]:
    """A running process's parent and state, from /proc (OSError once it is gone)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[1]), fields[0]


def children_of(parent: int) -> set[int]:
    """The live processes whose parent is `parent`."""
    children = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid, state = parent_of(int(entry.name))
            except (OSError, IndexError):
                continue
            if ppid == parent and state != "Z":
                children.add(int(entry.name))
    return children


def test_a_killed_workers_requests_stay_counted(served):
    folder = Path(served.env["PROMETHEUS_MULTIPROC_DIR"])
    with ThreadPoolExecutor(BATCH) as pool:
        list(pool.map(lambda n: get(served.url, f"/nodes/gone-{n}"), range(BATCH)))
    before = value(scrape(served.url), REQUESTS, **MISSING_NODE)
    counting = [
        path
        for path in folder.glob("counter_*.db")
        if value(parse_file(path), REQUESTS, **MISSING_NODE)
    ]
    victim = int(counting[0].stem.removeprefix("counter_"))
    master, _ = parent_of(victim)
    os.kill(victim, signal.SIGKILL)
    # gunicorn reaps it (child_exit runs) before it starts the worker that replaces it.
    deadline = time.monotonic() + 30
    while victim in (alive := children_of(master)) or len(alive) < 2:
        assert time.monotonic() < deadline, f"gunicorn did not replace worker {victim}"
        time.sleep(0.05)
    assert value(scrape(served.url), REQUESTS, **MISSING_NODE) == before
