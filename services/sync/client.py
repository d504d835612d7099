"""Talking to an upstream registry over HTTP: one urllib3 pool, bounded retries, counted requests.

Every request goes through one PoolManager whose Retry retries GETs on connection errors, read
timeouts and 429/5xx answers with exponential backoff, honouring (and capping) Retry-After.
Archive downloads add their own bounded retries for what urllib3 cannot see: a body cut short,
or bytes that do not match the digest the upstream announced.
"""

import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlencode, urlsplit

import orjson
import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    MaxRetryError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.util import Retry, Timeout

from services.digests import copy_hashing
from services.files import atomic_file

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REQUEST_KINDS = (
    "node pages",
    "version lists",
    "version pages",
    "publishers",
    "downloads",
    "comfy-node lists",
    "release notes",
)
# Requests only some syncs make (--with-translations): listed only when made.
ASKED_KINDS = ("node translations",)
# Longest pause between two tries, whatever the backoff or a Retry-After header asks for.
MAX_BACKOFF_SECONDS = 30.0
MAX_RETRY_AFTER_SECONDS = 60.0
MAX_REDIRECTS = 5
DOWNLOAD_CHUNK = 256 * 1024
# This mirror sends an archive's sha256 as its ETag; other servers send other tags (GCS: md5).
_SHA256_ETAG = re.compile(r'^(?:W/)?"?([0-9a-f]{64})"?$')


class UpstreamError(Exception):
    """The upstream could not be used; the message says what failed and what to do."""


@dataclass(frozen=True)
class ClientSettings:
    """Timeouts, retries and concurrency for one sync."""

    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retries: int = 5
    # Seconds; the n-th retry waits about backoff * 2**(n-1), at most MAX_BACKOFF_SECONDS.
    backoff: float = 0.5
    jobs: int = 4


class RequestCounts:
    """How many requests of each kind a sync made, and how many tries were repeats."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts = dict.fromkeys((*REQUEST_KINDS, *ASKED_KINDS, "retries", "host probes"), 0)

    def add(self, kind: str, count: int = 1) -> None:
        """Count requests of one kind (thread-safe: downloads run in parallel)."""
        with self._lock:
            self.counts[kind] += count

    def line(self) -> str:
        """The counts as the summary prints them."""
        asked = tuple(kind for kind in ASKED_KINDS if self.counts[kind])
        kinds = ", ".join(f"{self.counts[kind]} {kind}" for kind in (*REQUEST_KINDS, *asked))
        probes = self.counts["host probes"]
        probed = f"; {probes} archive host probe(s)" if probes else ""
        return f"requests: {kinds}; {self.counts['retries']} retries{probed}"


class CountingRetry(Retry):
    """urllib3's Retry, telling a callback about every retry it grants."""

    def __init__(self, *args, on_retry=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.on_retry = on_retry

    def new(self, **kwargs) -> "CountingRetry":
        fresh = super().new(**kwargs)
        fresh.on_retry = self.on_retry
        return fresh

    def increment(self, *args, **kwargs) -> "CountingRetry":
        fresh = super().increment(*args, **kwargs)  # raises MaxRetryError when exhausted
        if self.on_retry is not None:
            self.on_retry()
        return fresh


@dataclass
class Downloaded:
    """An archive written to disk, with what it hashed to."""

    sha256: str
    size: int


class _RetryableDownload(Exception):
    """A download that failed in a way another try may fix."""


class UpstreamClient:
    """GETs against one upstream registry (and the archive URLs it hands out)."""

    def __init__(self, base_url: str, settings: ClientSettings, counts: RequestCounts):
        self.base_url = base_url.rstrip("/")
        self.settings = settings
        self.counts = counts
        # Each kind of failure gets `retries` more tries; redirects are not failures.
        retry = CountingRetry(
            total=None,
            connect=settings.retries,
            read=settings.retries,
            status=settings.retries,
            other=settings.retries,
            redirect=MAX_REDIRECTS,
            allowed_methods=frozenset({"GET"}),
            status_forcelist=RETRY_STATUSES,
            backoff_factor=settings.backoff,
            backoff_max=MAX_BACKOFF_SECONDS,
            retry_after_max=MAX_RETRY_AFTER_SECONDS,
            respect_retry_after_header=True,
            # The last answer is returned, so the message can quote the upstream's own words.
            raise_on_status=False,
            on_retry=lambda: counts.add("retries"),
        )
        self.pool = urllib3.PoolManager(
            num_pools=4,
            maxsize=max(settings.jobs, 1),
            block=True,
            retries=retry,
            timeout=Timeout(connect=settings.connect_timeout, read=settings.read_timeout),
            headers={"User-Agent": "comfy-registry-mirror-sync/1"},
        )

    def close(self) -> None:
        """Close every pooled connection."""
        self.pool.clear()

    def get_json(
        self, path: str, params: list[tuple[str, str]], kind: str, absent=frozenset()
    ) -> tuple[int, object, datetime | None]:
        """GET a JSON document: (status, document, the upstream's Date).

        Statuses in `absent` (e.g. 403, 404) come back with a None document instead of failing.
        """
        url = self.base_url + path + (f"?{urlencode(params)}" if params else "")
        self.counts.add(kind)
        try:
            response = self.pool.request("GET", url, headers={"Accept": "application/json"})
        except (MaxRetryError, HTTPError) as exc:
            raise UpstreamError(self._unreachable(url, exc)) from None
        date = _http_date(response.headers.get("Date"))
        if response.status in absent:
            return response.status, None, date
        if response.status != 200:
            raise UpstreamError(self._bad_status(f"GET {url}", response, hint="; check --upstream"))
        try:
            return response.status, orjson.loads(response.data), date
        except orjson.JSONDecodeError:
            raise UpstreamError(
                f"GET {url} did not answer JSON: check that --upstream is the registry's API "
                "(such as https://api.comfy.org), not a web page."
            ) from None

    def download(self, url: str, target: str) -> Downloaded:
        """Download an archive to `target` (written whole or not at all), with bounded retries."""
        if urlsplit(url).scheme not in ("http", "https"):
            raise UpstreamError(f"{url}: not an http(s) URL.")
        self.counts.add("downloads")
        problem = ""
        for attempt in range(self.settings.retries + 1):
            if attempt:
                self.counts.add("retries")
                time.sleep(min(MAX_BACKOFF_SECONDS, self.settings.backoff * 2 ** (attempt - 1)))
            try:
                return self._download_once(url, target)
            except _RetryableDownload as exc:
                problem = str(exc)
        raise UpstreamError(f"{url}: {problem} (gave up after {self.settings.retries} retries).")

    def _download_once(self, url: str, target: str) -> Downloaded:
        try:
            response = self.pool.request("GET", url, preload_content=False)
        except (MaxRetryError, HTTPError) as exc:
            raise UpstreamError(self._unreachable(url, exc)) from None
        whole = False
        try:
            if response.status != 200:
                raise UpstreamError(self._bad_status(f"GET {url}", response, read=False))
            with atomic_file(target) as out:
                sha256, size = copy_hashing(response.stream(DOWNLOAD_CHUNK), out)
                whole = True
                # Raising here leaves `target` as it was: the bytes never take its name.
                _check_whole(response, sha256, size)
            return Downloaded(sha256, size)
        except (ProtocolError, ReadTimeoutError, SSLError, OSError) as exc:
            raise _RetryableDownload(f"the download broke off ({short_reason(exc)})") from None
        finally:
            if not whole:
                # A half-read connection cannot be reused; closing it still frees its pool slot.
                response.close()
            response.release_conn()

    def _unreachable(self, url: str, exc: Exception) -> str:
        reason = exc.reason if isinstance(exc, MaxRetryError) else exc
        parts = urlsplit(url)
        origin, path = f"{parts.scheme}://{parts.netloc}", parts.path
        tries = f"after {self.settings.retries} retries"
        if isinstance(reason, ConnectTimeoutError):
            return (
                f"could not reach {origin}: {short_reason(reason)} ({tries}); "
                "check --upstream and the network."
            )
        if isinstance(reason, ReadTimeoutError):
            return (
                f"{origin} did not answer GET {path} within {self.settings.read_timeout:g} s "
                f"({tries}); raise --read-timeout or try again later."
            )
        if isinstance(reason, SSLError):
            return f"TLS with {origin} failed: {short_reason(reason)}; check --upstream."
        return (
            f"the connection to {origin} failed during GET {path}: {short_reason(reason)} "
            f"({tries}); try again later."
        )

    def _bad_status(self, what: str, response, read: bool = True, hint: str = "") -> str:
        detail = _error_message(response.data if read else response.read(4096))
        if response.status in RETRY_STATUSES:
            return (
                f"{what} kept answering {response.status}{detail} after "
                f"{self.settings.retries} retries; the upstream is failing: try again later."
            )
        return f"{what} answered {response.status}{detail}{hint}."


def _check_whole(response, sha256: str, size: int) -> None:
    """Refuse a body shorter than announced, or bytes that are not what the ETag names."""
    length = response.headers.get("Content-Length")
    # A length announced for an encoded body says nothing about the decoded archive.
    encoded = response.headers.get("Content-Encoding", "identity") != "identity"
    if length is not None and length.isdigit() and not encoded and int(length) != size:
        raise _RetryableDownload(f"got {size} of {length} bytes")
    match = _SHA256_ETAG.match(response.headers.get("ETag", ""))
    if match and match.group(1) != sha256:
        raise _RetryableDownload(
            f"the bytes hash to sha256 {sha256}, not the {match.group(1)} the upstream's ETag "
            "announced"
        )


def _error_message(body: bytes) -> str:
    """The upstream's ErrorResponse message, when the body is one."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return ""
    if isinstance(document, dict) and isinstance(document.get("message"), str):
        return f" ({document['message'][:300]})"
    return ""


def short_reason(exc: BaseException) -> str:
    """An exception as a short phrase, without urllib3's connection reprs."""
    text = str(exc)
    # "HTTPConnection(host='...', port=1): Failed to establish ..." or "<...>: Read timed out."
    return re.sub(r"^(?:<[^>]*>|HTTPS?Connection(?:Pool)?\([^)]*\)): ", "", text)


def _http_date(value: str | None) -> datetime | None:
    """An HTTP Date header as naive UTC, or None."""
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)
