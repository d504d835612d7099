"""The figures requests add to: requests by route and status, latency, bulk pairs, archive bytes.

They live on the package's own registry. Under gunicorn, gunicorn.conf.py sets
PROMETHEUS_MULTIPROC_DIR before prometheus_client is imported: each worker then writes its values
to files of its own in that directory, and a scrape adds every worker's files up.
"""

from collections import Counter as Tally
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics

# No `_created` series: multiprocess mode has none, so a scrape reads the same under both.
disable_created_metrics()
REGISTRY = CollectorRegistry(auto_describe=True)
# The route label of a request no route matched (404, 405): one label, whatever the path.
UNMATCHED = "unmatched"
# Methods named in the labels; any other is counted as "other", so clients cannot add labels.
METHODS = frozenset({"GET", "HEAD", "POST", "OPTIONS"})
BULK_STATUSES = ("success", "not_found", "error")
# From a cached health check (about 0.1 ms) to a 5,000-pair bulk request on a large mirror.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
PAIR_BUCKETS = (1, 10, 30, 100, 300, 1000, 3000, 5000)

REQUESTS = Counter(
    "mirror_http_requests",
    "Requests answered, by route template, method and status.",
    ["route", "method", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "mirror_http_request_duration_seconds",
    "Time to build each answer, by route template (an archive's sending is not included).",
    ["route"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
BULK_PAIRS = Histogram(
    "mirror_bulk_request_pairs",
    "Node/version pairs per answered bulk request.",
    buckets=PAIR_BUCKETS,
    registry=REGISTRY,
)
BULK_RESULTS = Counter(
    "mirror_bulk_pairs",
    "Bulk pairs answered, by result status (success, not_found, error).",
    ["status"],
    registry=REGISTRY,
)
ARCHIVE_BYTES = Counter(
    "mirror_archive_served_bytes",
    "Archive bytes answered (with X-Accel-Redirect, the size of each file handed to the proxy).",
    registry=REGISTRY,
)
# Each labelled series is found once: `labels()` checks and converts its arguments at every
# call, which the bulk endpoint should not pay for. Requests' by (route, method, status).
_request_series: dict[tuple, tuple] = {}
_bulk_series = {status: BULK_RESULTS.labels(status) for status in BULK_STATUSES}


def record_request(route: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request and the time it took."""
    key = (route, method if method in METHODS else "other", status)
    series = _request_series.get(key)
    if series is None:
        series = _request_series[key] = (REQUESTS.labels(*key), LATENCY.labels(route))
    series[0].inc()
    series[1].observe(seconds)


def record_bulk(statuses: Iterable[str]) -> None:
    """Count one bulk request's pairs, by the status each was answered with."""
    tally = Tally(statuses)
    BULK_PAIRS.observe(tally.total())
    for status, count in tally.items():
        (_bulk_series.get(status) or BULK_RESULTS.labels(status)).inc(count)


def record_archive_bytes(size: int) -> None:
    """Count the bytes of one archive answer."""
    ARCHIVE_BYTES.inc(size)
