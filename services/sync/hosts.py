"""Where a sync fetches archives from: hosts rewritten by --archive-host-map, and probed once.

An archive whose downloadUrl names another host than the upstream (upstream's cloud storage,
seen through a mirror that lacks the archive) is fetched only if that host answers one cheap
probe: a host that is down, or out of reach of an offline site, costs one try, not every
archive's retries.
"""

import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from urllib3.exceptions import HTTPError

from services.sync.client import UpstreamClient, short_reason


def parse_host_map(text: str) -> tuple[str, str]:
    """One `FROM=TO` rewrite: (host[:port], [scheme://]host[:port]); ValueError if malformed."""
    source, sep, target = text.partition("=")
    source, target = source.strip().lower(), target.strip().rstrip("/")
    parts = urlsplit(target if "://" in target else f"//{target}")
    if (
        not sep
        or not source
        or "/" in source
        or not parts.netloc
        or parts.path
        or parts.query
        or parts.scheme not in ("", "http", "https")
    ):
        raise ValueError(
            f"{text!r} is not FROM=TO, such as storage.googleapis.com=proxy.example:8080 "
            "or storage.googleapis.com=http://proxy.example:8080."
        )
    return source, target


@dataclass
class ArchiveHosts:
    """The archive hosts of one sync: their rewrites, and which of them answered a probe."""

    upstream: str
    host_map: tuple[tuple[str, str], ...] = ()
    # By scheme://host[:port]: None if it answered, else why not.
    _probed: dict[str, str | None] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def rewrite(self, url: str) -> str:
        """The URL to fetch an archive from: its host replaced as --archive-host-map says."""
        parts = urlsplit(url)
        for source, target in self.host_map:
            if parts.netloc.lower() == source:
                new = urlsplit(target if "://" in target else f"//{target}")
                return urlunsplit(
                    parts._replace(scheme=new.scheme or parts.scheme, netloc=new.netloc)
                )
        return url

    def unreachable(self, client: UpstreamClient, url: str) -> str | None:
        """Why the host of `url` cannot serve it (None if it is the upstream's or answered)."""
        parts = urlsplit(url)
        if parts.netloc.lower() == urlsplit(self.upstream).netloc.lower():
            return None
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            if origin not in self._probed:
                self._probed[origin] = probe(client, origin)
            problem = self._probed[origin]
        if problem is None:
            return None
        return (
            f"{url}: the archive host {origin} did not answer ({problem}); not tried. "
            "Map it to a reachable host with --archive-host-map, or sync again once it answers."
        )


def probe(client: UpstreamClient, origin: str) -> str | None:
    """None if `origin` answers HTTP at all (any status), else why not: one try, no retry."""
    client.counts.add("host probes")
    try:
        response = client.pool.request(
            "HEAD", origin + "/", retries=False, redirect=False, preload_content=False
        )
    except HTTPError as exc:
        return short_reason(exc)
    response.release_conn()
    return None
