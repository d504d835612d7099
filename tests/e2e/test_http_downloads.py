"""Archive downloads on real gunicorn: a client slower than the worker timeout still gets every
byte, and a download in progress holds one thread, not a worker other requests need."""

import hashlib
import random
import time

import pytest

from tests.http_wire import SlowDownload, get, served_env
from tests.serving import gunicorn

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# Random bytes do not compress, and 16 MiB is far more than the kernel buffers between the
# server and a client with a small receive buffer: the server keeps sending while it is read.
ARCHIVE = random.Random(20240101).randbytes(16 * 1024 * 1024)
PAIR = ("big-pack", "1.0.0")
TARGET = "/archives/big-pack/1.0.0/node.zip"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The environment serving a mirror that holds one 16 MiB archive."""
    with served_env(tmp_path_factory.mktemp("downloads"), {PAIR: ARCHIVE}) as env:
        yield env


def digest(raw: bytes) -> str:
    """The sha256 of some bytes, short to compare in a failure message."""
    return hashlib.sha256(raw).hexdigest()


def test_download_slower_than_the_worker_timeout_arrives_whole(served):
    timeout = 1
    with gunicorn({**served, "GUNICORN_TIMEOUT": str(timeout)}) as url:
        started = time.monotonic()
        download = SlowDownload(url, TARGET, rate=len(ARCHIVE) / (5 * timeout))
        try:
            download.read()
        finally:
            download.close()
        took = time.monotonic() - started

    assert download.response.status == 200
    assert download.response.headers["Content-Length"] == str(len(ARCHIVE))
    received = bytes(download.received)
    assert len(received) == len(ARCHIVE)
    assert digest(received) == digest(ARCHIVE)
    assert took > 4 * timeout, "the download was not slower than the worker timeout"


def test_download_in_progress_leaves_other_requests_answered(served):
    with gunicorn({**served, "WEB_CONCURRENCY": "1"}) as url:
        download = SlowDownload(url, TARGET, rate=float("inf"))
        try:
            # The client stops reading: the server is stuck sending this body until it resumes.
            download.read(SlowDownload.CHUNK)
            health = get(url, "/health", timeout=10)
            listing = get(url, "/nodes", timeout=10)
            download.read()
        finally:
            download.close()

    assert (health.status, health.body) == (200, b"OK")
    assert listing.status == 200
    assert [entry["id"] for entry in listing.json()["nodes"]] == [PAIR[0]]
    assert digest(download.received) == digest(ARCHIVE)


def test_client_that_stops_reading_is_dropped_and_frees_its_thread(served):
    settings = {
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "1",
        "MIRROR_DOWNLOAD_STALL_SECONDS": "1",
    }
    with gunicorn({**served, **settings}) as url:
        download = SlowDownload(url, TARGET, rate=float("inf"))
        try:
            download.read(SlowDownload.CHUNK)
            # The only thread is sending to a client that reads no more: /health is answered
            # once the mirror gives up on that client.
            health = get(url, "/health", timeout=30)
            download.read()
        finally:
            download.close()

    assert (health.status, health.body) == (200, b"OK")
    assert len(download.received) < len(ARCHIVE)
