"""deploy/nginx.conf.template in front of real gunicorn, at / and at /registry: answers equal
the direct ones but for the origin, archives (also through X-Accel-Redirect), limits as JSON."""

import hashlib
import random
import socket
import time

import pytest

from tests.http_wire import get, post_json, request, served_env
from tests.nginx import nginx
from tests.serving import free_port, gunicorn

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PAIR = ("pack-one", "1.0.0")
ARCHIVE = random.Random(20261130).randbytes(1024 * 1024)
SHA256 = hashlib.sha256(ARCHIVE).hexdigest()
TARGET = "/archives/pack-one/1.0.0/node.zip"
ACCEL = "/_archives/"
PREFIXES = [pytest.param("", id="root"), pytest.param("/registry", id="registry")]
READS = [
    f"/nodes/{PAIR[0]}",
    f"/nodes/{PAIR[0]}/install",
    f"/nodes/{PAIR[0]}/versions",
    f"/nodes/{PAIR[0]}/versions/{PAIR[1]}",
]
BULK = {"node_versions": [{"node_id": PAIR[0], "version": PAIR[1]}]}


class Front:
    """nginx in front of one gunicorn: where each is, and the path prefix nginx serves at."""

    def __init__(self, app: str, url: str, prefix: str):
        self.app, self.url, self.prefix = app, url, prefix
        self.origin = url.removesuffix(prefix)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The environment serving a mirror that holds one 1 MiB archive, trusting one proxy."""
    with served_env(tmp_path_factory.mktemp("nginx"), {PAIR: ARCHIVE}) as env:
        yield {**env, "MIRROR_TRUSTED_PROXIES": "1"}


@pytest.fixture(scope="module", params=[False, True], ids=["streamed", "accel"])
def app(request, served):
    """gunicorn streaming archives itself, or handing them to nginx (MIRROR_ACCEL_REDIRECT)."""
    settings = {"MIRROR_ACCEL_REDIRECT": ACCEL} if request.param else {}
    with gunicorn({**served, **settings}) as url:
        yield url


@pytest.fixture(scope="module", params=PREFIXES)
def front(request, app, served, tmp_path_factory):
    """nginx from the template in front of `app`, at / or at /registry."""
    prefix = tmp_path_factory.mktemp("nginx-prefix")
    with nginx(prefix, app, served["MIRROR_ARCHIVE_DIR"], request.param) as url:
        yield Front(app, url, request.param)


def as_seen_through(front: Front, body: bytes) -> bytes:
    """A direct answer with its archive URLs' origin replaced by nginx's, prefix included."""
    return body.replace(front.app.encode(), front.url.encode())


@pytest.mark.parametrize("target", READS)
def test_read_answers_through_nginx_equal_direct_ones_but_the_origin(front, target):
    direct = get(front.app, target)
    proxied = get(front.origin, front.prefix + target)
    assert (proxied.status, direct.status) == (200, 200), proxied.body
    assert proxied.body == as_seen_through(front, direct.body)


def test_bulk_answer_through_nginx_has_downloadurl_at_nginx(front):
    direct = post_json(front.app, "/bulk/nodes/versions", BULK)
    proxied = post_json(front.origin, front.prefix + "/bulk/nodes/versions", BULK)
    assert (proxied.status, direct.status) == (200, 200), proxied.body
    assert proxied.body == as_seen_through(front, direct.body)
    url = proxied.json()["node_versions"][0]["node_version"]["downloadUrl"]
    assert url == front.url + TARGET


def test_download_through_nginx_is_byte_identical(front):
    answer = get(front.origin, front.prefix + TARGET)
    assert answer.status == 200
    assert hashlib.sha256(answer.body).hexdigest() == SHA256
    assert answer.headers["ETag"] == f'"{SHA256}"'
    assert answer.headers["Content-Type"] == "application/zip"
    assert "attachment" in answer.headers["Content-Disposition"]
    assert "immutable" in answer.headers["Cache-Control"]
    assert "X-Accel-Redirect" not in answer.headers


def test_download_range_through_nginx_is_honoured(front):
    answer = get(front.origin, front.prefix + TARGET, {"Range": "bytes=1000-1999"})
    assert answer.status == 206
    assert answer.body == ARCHIVE[1000:2000]
    assert answer.headers["Content-Range"] == f"bytes 1000-1999/{len(ARCHIVE)}"


def test_download_if_none_match_through_nginx_is_not_modified(front):
    answer = get(front.origin, front.prefix + TARGET, {"If-None-Match": f'"{SHA256}"'})
    assert answer.status == 304
    assert answer.body == b""


def test_head_through_nginx_gives_the_archive_headers(front):
    answer = request(front.origin, "HEAD", front.prefix + TARGET)
    assert answer.status == 200
    assert answer.headers["Content-Length"] == str(len(ARCHIVE))
    assert answer.headers["ETag"] == f'"{SHA256}"'


def test_accel_redirect_app_answers_with_the_archive_path_and_no_body(served):
    with gunicorn({**served, "MIRROR_ACCEL_REDIRECT": ACCEL}) as accel, gunicorn(served) as plain:
        handed = get(accel, TARGET)
        streamed = get(plain, TARGET)
    assert handed.status == 200
    assert handed.headers["X-Accel-Redirect"] == f"{ACCEL}{SHA256[:2]}/{SHA256}.zip"
    assert handed.body == b""
    assert "X-Accel-Redirect" not in streamed.headers
    for name in ("ETag", "Content-Type", "Content-Disposition", "Cache-Control"):
        assert handed.headers[name] == streamed.headers[name], name


def test_body_over_the_limit_gets_json_413_from_nginx(front):
    body = b"[" + b" " * (4 * 1024 * 1024 + 1) + b"]"
    answer = request(
        front.origin,
        "POST",
        front.prefix + "/bulk/nodes/versions",
        {"Content-Type": "application/json"},
        body,
    )
    assert answer.status == 413
    assert answer.headers["Content-Type"] == "application/json"
    assert set(answer.json()) == {"error", "message"}
    assert answer.json()["error"] == "Payload Too Large"


@pytest.mark.parametrize("path_prefix", PREFIXES)
def test_app_stopped_gets_json_502_from_nginx(served, tmp_path, path_prefix):
    nowhere = f"http://127.0.0.1:{free_port()}"
    with nginx(tmp_path, nowhere, served["MIRROR_ARCHIVE_DIR"], path_prefix) as url:
        answer = get(url.removesuffix(path_prefix), path_prefix + "/nodes")
    assert answer.status == 502
    assert answer.headers["Content-Type"] == "application/json"
    assert set(answer.json()) == {"error", "message"}
    assert answer.json()["error"] == "Bad Gateway"


def test_slow_clients_do_not_stop_normal_requests(served, tmp_path):
    # One front is enough: how nginx waits for headers does not depend on the prefix.
    with gunicorn(served) as app, nginx(tmp_path, app, served["MIRROR_ARCHIVE_DIR"]) as url:
        worst = worst_answer_beside_slow_clients(url)
    # Answered at once on an idle machine; the bound only allows for a loaded one.
    assert worst < 5, f"a normal request took {worst:.1f} s beside 30 slow clients"


def worst_answer_beside_slow_clients(url: str) -> float:
    """The longest a normal request took while 30 clients sent a header byte a second for 10 s."""
    host, port = url.removeprefix("http://").split(":")
    slow = [socket.create_connection((host, int(port)), timeout=5) for _ in range(30)]
    header = f"GET /nodes HTTP/1.1\r\nHost: x\r\nX-Slow: {'a' * 20}".encode()
    worst = 0.0
    try:
        for second in range(10):
            for client in slow:
                client.sendall(header[second : second + 1])
            started = time.monotonic()
            answer = get(url, f"/nodes/{PAIR[0]}", timeout=10)
            worst = max(worst, time.monotonic() - started)
            assert answer.status == 200
            time.sleep(max(0.0, started + 1 - time.monotonic()))
    finally:
        for client in slow:
            client.close()
    return worst
