"""The text a scrape is answered with: the request figures, added up over gunicorn's workers in
multiprocess mode, then the figures read from the database."""

from collections.abc import Iterable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, values
from prometheus_client.core import Metric
from prometheus_client.multiprocess import MultiProcessCollector

from services.metrics.requests import REGISTRY

CONTENT_TYPE = CONTENT_TYPE_LATEST


def multiprocess() -> bool:
    """Whether values live in PROMETHEUS_MULTIPROC_DIR's files (set before the first import)."""
    return getattr(values.ValueClass, "_multiprocess", False)


class Figures:
    """A collector yielding given metric families, or those of another collector."""

    def __init__(self, source):
        self.source = source

    def collect(self) -> Iterable[Metric]:
        """The families, as collected now."""
        return self.source() if callable(self.source) else self.source


def exposition(database_families: list[Metric]) -> bytes:
    """Prometheus's text format: every request figure, then `database_families`."""
    # A new registry per scrape: the multiprocess collector reads the workers' files afresh,
    # and the database figures belong to this scrape only.
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess():
        MultiProcessCollector(registry)
    else:
        registry.register(Figures(REGISTRY.collect))
    registry.register(Figures(database_families))
    return generate_latest(registry)
