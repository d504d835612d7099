"""A misbehaving upstream for sync tests: a real mirror app behind a small HTTP server on
127.0.0.1 that can be told to fail, hang, throttle, cut short and corrupt archive downloads, or
tell the time of a clock that is off; and a storage host for archives (ArchiveStorage).

Requests are answered by the app's own test client, so every answer the sync sees is exactly
what this mirror serves; the server only adds the faults it was told to, and counts requests.
"""

import re
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import orjson

from tests.bundles import archive_bytes, import_into, mirror_app, upstream_version, write_bundle
from tests.dumps import dump, node

_ARCHIVE = re.compile(r"^/archives/([^/]+)/([^/]+)/node\.zip$")
_NODE = re.compile(r"^/nodes/[^/]+$")
_VERSION_LIST = re.compile(r"^/nodes/[^/]+/versions$")
_COMFY_NODE_LIST = re.compile(r"^/nodes/[^/]+/versions/[^/]+/comfy-nodes$")


def request_kind(path: str) -> str:
    """What a request path asks for, in the sync's own words for it."""
    if path == "/nodes":
        return "node pages"
    if _NODE.match(path):
        return "nodes"
    if _VERSION_LIST.match(path):
        return "version lists"
    if path == "/versions":
        return "version pages"
    if _COMFY_NODE_LIST.match(path):
        return "comfy-node lists"
    if path.startswith("/publishers/"):
        return "publishers"
    if _ARCHIVE.match(path):
        return "downloads"
    return "other"


@dataclass
class Fault:
    """Something to do instead of (or before) answering requests of one kind."""

    kind: str
    action: str  # "status", "hang", "hold", "throttle", "cut", "corrupt"
    times: int | None  # None: every time
    status: int = 500
    seconds: float = 0.0
    # Only requests whose path contains this (all of the kind when empty).
    within: str = ""

    def take(self, path: str) -> bool:
        """Whether this fault applies to one more request (using up one of its times)."""
        if self.within not in path:
            return False
        if self.times is None:
            return True
        if self.times <= 0:
            return False
        self.times -= 1
        return True


class FaultUpstream:
    """Serve `app` on 127.0.0.1 with injectable faults; use as a context manager."""

    def __init__(self, app):
        self.app = app
        self._lock = threading.Lock()
        self.faults: list[Fault] = []
        self.requests: list[str] = []  # every request's path and query, in arrival order
        self.downloads: Counter = Counter()  # (node_id, version) -> archive requests
        self.download_delay = 0.0
        # Seconds between this machine's clock and the one the Date headers tell.
        self.clock_offset = 0.0
        # By kind: a function changing the JSON documents the app answers with.
        self.rewrites: dict = {}
        # Requests told to hold wait for this, however long; `holding` counts those waiting.
        self.released = threading.Event()
        self.holding = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.upstream = self
        self.server.handle_error = lambda request, address: None  # clients hang up on hangs
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        # The app's archive URLs must point here, where the sync will fetch them.
        app.config["PUBLIC_BASE_URL"] = self.url
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FaultUpstream":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()

    def fail(self, kind: str, times: int | None = 1, status: int = 500, within: str = "") -> None:
        """Answer requests of `kind` (with `within` in their path) with `status`."""
        self._add(Fault(kind, "status", times, status=status, within=within))

    def hang(self, kind: str, seconds: float, times: int | None = 1) -> None:
        """Wait `seconds` before answering requests of `kind`."""
        self._add(Fault(kind, "hang", times, seconds=seconds))

    def hold(self, kind: str, times: int | None = 1, within: str = "") -> None:
        """Keep requests of `kind` unanswered until `released` is set (as a hung upstream)."""
        self._add(Fault(kind, "hold", times, within=within))

    def throttle(self, kind: str, retry_after: int = 1, times: int | None = 1) -> None:
        """Answer 429 with a Retry-After header."""
        self._add(Fault(kind, "throttle", times, status=429, seconds=retry_after))

    def cut_downloads(self, times: int | None = 1) -> None:
        """Announce an archive's full length, send half of it, and hang up."""
        self._add(Fault("downloads", "cut", times))

    def corrupt_downloads(self, times: int | None = 1) -> None:
        """Send an archive with one byte changed (same length, same ETag)."""
        self._add(Fault("downloads", "corrupt", times))

    def count(self, kind: str) -> int:
        """How many requests of `kind` arrived."""
        with self._lock:
            return sum(request_kind(urlsplit(r).path) == kind for r in self.requests)

    def _add(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def _faults_for(self, kind: str, path: str) -> list[Fault]:
        with self._lock:
            return [f for f in self.faults if f.kind == kind and f.take(path)]

    def _hold(self) -> None:
        with self._lock:
            self.holding += 1
        self.released.wait(60)
        with self._lock:
            self.holding -= 1

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        """Answer one GET, applying the faults that match it."""
        path = urlsplit(handler.path).path
        kind = request_kind(path)
        with self._lock:
            self.requests.append(handler.path)
            archive = _ARCHIVE.match(path)
            if archive:
                self.downloads[(unquote(archive.group(1)), unquote(archive.group(2)))] += 1
        actions = {fault.action: fault for fault in self._faults_for(kind, path)}
        if "hang" in actions:
            time.sleep(actions["hang"].seconds)
        if "hold" in actions:
            self._hold()
        if kind == "downloads" and self.download_delay:
            time.sleep(self.download_delay)
        for action in ("status", "throttle"):
            if action in actions:
                fault = actions[action]
                body = orjson.dumps({"error": "Injected", "message": f"injected {fault.status}"})
                headers = {"Content-Type": "application/json"}
                if action == "throttle":
                    headers["Retry-After"] = str(int(fault.seconds))
                return _send(handler, fault.status, headers, body)
        response = self.app.test_client().get(handler.path)
        body = response.get_data()
        if kind in self.rewrites and response.status_code == 200:
            body = orjson.dumps(self.rewrites[kind](orjson.loads(body)))
        headers = {
            name: value
            for name, value in response.headers.items()
            if name in ("Content-Type", "ETag", "Location")
        }
        if "corrupt" in actions and body:
            body = body[:-1] + bytes([body[-1] ^ 0xFF])
        if "cut" in actions:
            headers["Content-Length"] = str(len(body))
            return _send(handler, response.status_code, headers, body[: len(body) // 2], cut=True)
        return _send(handler, response.status_code, headers, body)


def _send(handler, status: int, headers: dict, body: bytes, cut: bool = False) -> None:
    try:
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        if not cut:
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
        handler.wfile.flush()
    except OSError:
        pass  # the client gave up (a read timeout) before the answer came
    if cut:
        handler.close_connection = True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.server.upstream.answer(self)

    def log_message(self, format, *args) -> None:
        pass

    def date_time_string(self, timestamp=None) -> str:
        """The Date header's text, from a clock `clock_offset` seconds off this machine's."""
        if timestamp is None:
            timestamp = time.time() + self.server.upstream.clock_offset
        return super().date_time_string(timestamp)


# A small fixed registry for the fault server to serve.
PUBLISHER = {
    "id": "pub-one",
    "name": "Publisher One",
    "createdAt": "2024-01-02T03:04:05.000006Z",
    "status": "PublisherStatusActive",
}


def small_registry() -> dict:
    """Four nodes from two publishers, nine archived versions and one Deleted version."""

    def versions(node_id, *numbers, **fields):
        return [upstream_version(node_id, number, **fields) for number in numbers]

    return dump(
        node(
            "alpha",
            *versions("alpha", "1.0.0", "1.1.0"),
            *versions("alpha", "0.9.0", status="NodeVersionStatusDeleted"),
            name="Alpha",
            publisher={"id": "pub-one"},
        ),
        node("Beta-Pack", *versions("Beta-Pack", "2.0.0", "2.1.0"), publisher={"id": "pub-one"}),
        node(
            "gamma",
            *versions("gamma", "0.1.0", "0.2.0"),
            publisher={"id": "pub-two", "name": "Publisher Two"},
        ),
        node("delta", *versions("delta", "3.0.0", "3.1.0", "3.2.0")),
        publishers=[PUBLISHER],
    )


def archived_pairs(document: dict) -> list[tuple[str, str]]:
    """The pairs of a registry that get an archive: every version not Deleted or Banned."""
    return [
        (item["id"], version["version"])
        for item in document["nodes"]
        for version in item["versions"]
        if version.get("status") not in ("NodeVersionStatusDeleted", "NodeVersionStatusBanned")
    ]


def archives_on(document: dict, storage_url: str, node_id: str) -> dict:
    """`document` with `node_id`'s downloadUrls on the storage host at `storage_url`."""
    for item in document["nodes"]:
        for version in item["versions"] if item["id"] == node_id else []:
            version["downloadUrl"] = f"{storage_url}/{node_id}/{version['version']}/node.zip"
    return document


class ArchiveStorage:
    """An archive host on 127.0.0.1:`port` answering /<node>/<version>/node.zip; counts them."""

    def __init__(self, port: int = 0):
        self.downloads: Counter = Counter()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _StorageHandler)
        self.server.storage = self
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "ArchiveStorage":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.shutdown()
        self.server.server_close()


class _StorageHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        parts = urlsplit(self.path).path.strip("/").split("/")
        if len(parts) != 3 or parts[2] != "node.zip":
            return _send(self, 404, {}, b"")
        pair = (unquote(parts[0]), unquote(parts[1]))
        self.server.storage.downloads[pair] += 1
        _send(self, 200, {"Content-Type": "application/zip"}, archive_bytes(*pair))

    log_message = _Handler.log_message


@contextmanager
def fault_upstream(folder: Path, document: dict | None = None, archived=None):
    """A FaultUpstream serving `document` (default: small_registry()) with real archives: of
    the `archived` pairs (default: every version not Deleted or Banned)."""
    document = document or small_registry()
    archived = archived_pairs(document) if archived is None else archived
    with mirror_app(folder / "upstream") as app:
        import_into(app, write_bundle(folder / "upstream-bundle", document, archived))
        with FaultUpstream(app) as upstream:
            yield upstream
