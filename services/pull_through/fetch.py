"""Fetching the nodes a request found missing: one-node syncs run in the background, awaited
by the request for at most the pull-through timeout.

The fetch runs on the puller's own threads, with its own database sessions (never the
request's read transaction), so a slow or hanging upstream, or a writer holding the write lock,
costs the request no more than the timeout: it then answers from what the mirror holds, and the
fetch, if it succeeds later, serves the next ask.
"""

import os
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from urllib.parse import quote

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from models import ImportKind
from services.archives import ArchiveStore
from services.dumps.reader import DumpLimits
from services.pull_through.marks import Mark, claim, release, wait_for_others
from services.refusals import Refused
from services.sync.client import ClientSettings, RequestCounts, UpstreamClient, UpstreamError
from services.sync.request import SyncRequest
from services.sync.run import run_sync

# Fetches under way at once in one worker; more wait their turn (their requests do not).
FETCH_THREADS = 4
# A claim outlives a fetch this many timeouts long (a worker that died mid-fetch frees it then).
CLAIM_TIMEOUTS = 30
MIN_CLAIM_SECONDS = 60.0


@dataclass(frozen=True)
class PullThroughSettings:
    """Where missing nodes come from, how long the upstream's answer about one stands (a miss,
    or the node fetched), how long a request waits."""

    upstream: str
    miss_ttl: float = 300.0
    timeout: float = 5.0
    # Where the one-node syncs keep their unfinished work.
    work_dir: str = "instance/pull-through"
    limits: DumpLimits = field(default_factory=DumpLimits)
    # Most nodes one request (a bulk one) fetches; its other misses answer as not found.
    max_nodes: int = 20

    def client(self) -> ClientSettings:
        """The sync client's settings, each wait bounded by the request's own."""
        return ClientSettings(
            connect_timeout=self.timeout, read_timeout=self.timeout, retries=1, backoff=0.1
        )


class PullThrough:
    """Fetches missing nodes from the upstream into the mirror, once across every worker."""

    def __init__(self, settings: PullThroughSettings, store: ArchiveStore, log: Callable):
        self.settings = settings
        self.store = store
        self.log = log
        self.executor = ThreadPoolExecutor(FETCH_THREADS, thread_name_prefix="pull-through")

    def close(self) -> None:
        """Wait for the fetches under way to end; start no more."""
        self.executor.shutdown(wait=True, cancel_futures=True)

    def pull(self, engine: Engine, node_ids: Iterable[str]) -> None:
        """Fetch these nodes if missing here and not known missing upstream, waiting at most the
        timeout; never raises (the request then answers from what the mirror holds)."""
        keys = list(dict.fromkeys(node_id.lower() for node_id in node_ids))
        keys = keys[: self.settings.max_nodes]
        if not keys:
            return
        deadline = time.monotonic() + self.settings.timeout
        job = self.executor.submit(self._pull, engine, keys, deadline)
        try:
            job.result(timeout=max(deadline - time.monotonic(), 0))
        except FutureTimeout:
            self.log(f"pull-through: {', '.join(keys)} not fetched within the timeout")

    def _pull(self, engine: Engine, keys: list[str], deadline: float) -> None:
        """Claim what is free, fetch it, and wait for what other workers fetch."""
        try:
            claim_seconds = max(self.settings.timeout * CLAIM_TIMEOUTS, MIN_CLAIM_SECONDS)
            states = claim(engine, keys, claim_seconds)
            claimed = [key for key in keys if states[key] is Mark.CLAIMED]
            self._fetch_claimed(engine, claimed)
            wait_for_others(engine, [key for key in keys if states[key] is Mark.BUSY], deadline)
        except Exception as exc:
            # A background fetch must never take a worker down: the request answers anyway.
            self.log(f"pull-through of {', '.join(keys)} failed: {exc}")

    def _fetch_claimed(self, engine: Engine, keys: list[str]) -> None:
        """Fetch the claimed nodes and store them; always end the claims."""
        answered: set[str] = set()
        try:
            if keys:
                answered = self._fetch(engine, keys)
        finally:
            release(engine, keys, answered, self.settings.miss_ttl)

    def _fetch(self, engine: Engine, keys: list[str]) -> set[str]:
        """Ask the upstream for each node, then sync those it has; the keys it answered for
        (missing there, or fetched), none if it failed."""
        counts = RequestCounts()
        client = UpstreamClient(self.settings.upstream, self.settings.client(), counts)
        try:
            with ThreadPoolExecutor(min(len(keys), FETCH_THREADS)) as asking:
                answers = list(asking.map(lambda key: _ask(client, key), keys))
        except UpstreamError as exc:
            self.log(f"pull-through: {exc}")
            return set()
        finally:
            client.close()
        missing = {key for key, status in zip(keys, answers, strict=True) if status == 404}
        found = tuple(key for key in keys if key not in missing)
        if found and not self._sync(engine, found):
            return missing
        return set(keys)

    def _sync(self, engine: Engine, keys: tuple[str, ...]) -> bool:
        """Import these nodes, their versions, publishers and archives as a one-node sync does."""
        os.makedirs(self.settings.work_dir, exist_ok=True)
        # A fetch of its own folder, removed after: an unfinished one is fetched anew, not resumed.
        with tempfile.TemporaryDirectory(dir=self.settings.work_dir) as work_dir:
            return self._sync_in(engine, keys, work_dir)

    def _sync_in(self, engine: Engine, keys: tuple[str, ...], work_dir: str) -> bool:
        """Run the one-node sync with its work folder in `work_dir`; whether it was imported."""
        request = SyncRequest(
            self.settings.upstream,
            with_archives=True,
            node_ids=keys,
            settings=self.settings.client(),
            work_dir=work_dir,
            limits=self.settings.limits,
            record_kind=ImportKind.PULL_THROUGH,
        )
        with Session(engine) as session:
            try:
                run_sync(session, self.store, request, _quiet, _no_phases)
            except Refused as exc:
                self.log(f"pull-through of {', '.join(keys)} refused: {'; '.join(exc.problems)}")
                return False
        return True


def _ask(client: UpstreamClient, key: str) -> int:
    """GET /nodes/{id} upstream: 200, 403 (banned there, still fetched) or 404 (missing)."""
    path = f"/nodes/{quote(key, safe='')}"
    status, _, _ = client.get_json(path, [], "node pages", absent={403, 404})
    return status


def _quiet(line: str) -> None:
    """A one-node sync's news: not worth a line of the server's log."""


def _no_phases(label: str, total: int):
    """No progress bars on a server."""
    return lambda count: None
