"""/metrics under real gunicorn with two workers: every worker's requests add up, a previous
run's figures are emptied at start; the access log's one line per request; nginx's template
keeps /metrics to the local network and gives each request its id."""

import http.client
import json
import re
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


def counts_by_worker(folder: Path) -> list[float]:
    """The missing-node requests each process's file counts (workers that counted some)."""
    counts = []
    for path in sorted(folder.glob("counter_*.db")):
        samples = {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for metric in MultiProcessCollector.merge([str(path)])
            for sample in metric.samples
        }
        if counted := value(samples, REQUESTS, **MISSING_NODE):
            counts.append(counted)
    return counts


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


def access_line(served, send) -> dict:
    """The access-log line of the one request `send` makes, as named fields."""
    served.log.mark()
    send()
    (request,) = served.log.wait_for(1)
    with open(served.log.path, encoding="utf-8") as log:
        log.seek(served.log.offset)
        (line,) = [line for line in log.read().splitlines() if request in line]
    fields = LINE.fullmatch(line)
    assert fields is not None, line
    return fields.groupdict()


def test_the_access_log_line_of_a_bulk_request(served):
    pairs = [{"node_id": "comfyui-kjnodes", "version": "1.0.0"}, {"node_id": "a", "version": "1"}]
    pairs.append({"node_id": "", "version": ""})
    headers = {"X-Request-Id": "e2e-bulk-1"}
    answers = []
    line = access_line(
        served,
        lambda: answers.append(
            post_json(served.url, "/bulk/nodes/versions", {"node_versions": pairs}, headers)
        ),
    )
    assert answers[0].headers["X-Request-Id"] == "e2e-bulk-1"
    assert line["id"] == "e2e-bulk-1"
    assert line["request"] == "POST /bulk/nodes/versions HTTP/1.1"
    assert (line["status"], line["route"], line["pairs"]) == ("200", "/bulk/nodes/versions", "3")
    assert int(line["ms"]) >= 0


def test_the_access_log_line_of_a_read_carries_the_route_template(served):
    answers = []
    line = access_line(served, lambda: answers.append(get(served.url, "/nodes/absent-pack")))
    made = answers[0].headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert (line["id"], line["status"], line["route"], line["pairs"]) == (
        made,
        "404",
        "/nodes/<nodeId>",
        "-",
    )


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


def test_nginx_serves_metrics_to_the_local_network_only(served, tmp_path):
    archives = served.env["MIRROR_ARCHIVE_DIR"]
    with nginx(tmp_path / "nginx", served.url, archives) as url:
        status, _, body = get_from(url, "/metrics", "127.0.0.1")
        assert status == 200
        assert REQUESTS in body.decode()
        # 127.0.0.2 is this machine too, but not an address the template allows.
        status, headers, body = get_from(url, "/metrics", "127.0.0.2")
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
