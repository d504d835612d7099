"""HTTP on the wire for end-to-end tests: a served mirror holding given archives, requests with
exactly the headers a test names, and a client that reads a download slowly."""

import http.client
import json
import socket
import time
import urllib.parse
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.bundles import import_into, mirror_app, upstream_version, write_bundle
from tests.databases import fresh_database
from tests.dumps import dump, node

Pair = tuple[str, str]


@dataclass
class Answer:
    """What the mirror answered one request."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self):
        """The body parsed as JSON."""
        return json.loads(self.body)


@contextmanager
def served_env(folder: Path, archives: Mapping[Pair, bytes]):
    """Import a bundle holding `archives` into a new mirror in `folder`; yields the env to serve
    it with. Its database lives until the block ends."""
    document = dump(
        *(node(node_id, upstream_version(node_id, number)) for node_id, number in archives)
    )
    with fresh_database(folder) as database:
        with mirror_app(folder, SQLALCHEMY_DATABASE_URI=database) as app:
            import_into(app, write_bundle(folder / "bundle", document, contents=archives))
        yield {"DATABASE_URL": database, "MIRROR_ARCHIVE_DIR": str(folder / "archives")}


def connect(url: str, timeout: float = 30) -> http.client.HTTPConnection:
    """An HTTP/1.1 connection to the mirror at `url`."""
    parsed = urllib.parse.urlparse(url)
    return http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=timeout)


def request(
    url: str,
    method: str,
    target: str,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 30,
) -> Answer:
    """Send one request with these headers (http.client adds Host) and read the whole answer."""
    connection = connect(url, timeout)
    try:
        connection.request(method, target, body=body, headers=dict(headers or {}))
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()


def get(url: str, target: str, headers: Mapping[str, str] | None = None, **options) -> Answer:
    """GET `target` from the mirror at `url`."""
    return request(url, "GET", target, headers, **options)


def post_json(url: str, target: str, document, headers: Mapping[str, str] | None = None) -> Answer:
    """POST a JSON document to `target`."""
    sent = {"Content-Type": "application/json", **(headers or {})}
    return request(url, "POST", target, sent, json.dumps(document).encode())


class SlowDownload:
    """A GET of one archive whose body is read at most `rate` bytes a second, in small reads.

    The client's receive buffer is kept small so the server cannot hand the whole body to the
    kernel at once and be done: it has to keep sending for as long as the client reads.
    """

    CHUNK = 16 * 1024

    def __init__(self, url: str, target: str, rate: float):
        parsed = urllib.parse.urlparse(url)
        self.rate = rate
        self.connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)
        sock.settimeout(60)
        sock.connect((parsed.hostname, parsed.port))
        self.connection.sock = sock
        self.connection.request("GET", target)
        self.response = self.connection.getresponse()
        self.received = bytearray()
        self.started = time.monotonic()

    def read(self, size: int | None = None) -> bool:
        """Read up to `size` more body bytes (all that are left if None); False at the end."""
        wanted = len(self.received) + size if size is not None else None
        while wanted is None or len(self.received) < wanted:
            chunk = self.response.read(self.CHUNK)
            if not chunk:
                return False
            self.received += chunk
            # Throttle: never get ahead of `rate` bytes a second since the download began.
            ahead = len(self.received) / self.rate - (time.monotonic() - self.started)
            if ahead > 0:
                time.sleep(ahead)
        return True

    def close(self) -> None:
        """Drop the connection."""
        self.connection.close()
