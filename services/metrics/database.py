"""Figures read from the database at scrape time, right whichever process changed it: imports
and syncs by kind and outcome, the last success of each, the data's age, the schema revision."""

from collections import Counter
from datetime import datetime

import sqlalchemy as sa
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy.orm import Session

from models import ImportRecord, NodeVersion
from services.catalog.status import data_generation
from services.imports.summary import summary_changed
from services.schema import head_revision, stored_revision

# The import tallies of each database (by URL), kept until its next import record: a mirror
# synced hourly for years holds tens of thousands of records, too many to read every scrape.
_tallies: dict[str, tuple[tuple, Counter, dict]] = {}


def database_figures(session: Session, now: datetime) -> list[Metric]:
    """Every database figure, read in the session's transaction; `now` is naive UTC."""
    outcomes, last_success = import_tallies(session)
    imports = CounterMetricFamily(
        "mirror_imports",
        "Imports and syncs committed, by kind (import, sync, sync-nodes, index) and outcome "
        "(changed, unchanged); a refused one changes nothing and leaves no record.",
        labels=["kind", "outcome"],
    )
    for (kind, outcome), count in sorted(outcomes.items()):
        imports.add_metric([kind, outcome], count)
    last = GaugeMetricFamily(
        "mirror_import_last_success_timestamp_seconds",
        "When the last import or sync of each kind committed (Unix time).",
        labels=["kind"],
    )
    for kind, finished in sorted(last_success.items()):
        last.add_metric([kind], unix_time(finished))
    families = [imports, last, schema_revision(session)]
    newest = session.scalar(sa.select(sa.func.max(NodeVersion.created_at)))
    if newest is not None:
        age = GaugeMetricFamily(
            "mirror_data_age_seconds",
            "Seconds since the newest version the mirror holds was created upstream.",
        )
        age.add_metric([], (now - newest).total_seconds())
        families.append(age)
    return families


def import_tallies(session: Session) -> tuple[Counter, dict[str, datetime]]:
    """Import records by (kind, outcome), and the newest finish of each kind."""
    url = session.get_bind().url.render_as_string(hide_password=True)
    generation = data_generation(session)
    kept = _tallies.get(url)
    if kept is not None and kept[0] == generation:
        return kept[1], kept[2]
    outcomes: Counter = Counter()
    last_success: dict[str, datetime] = {}
    rows = session.execute(
        sa.select(ImportRecord.kind, ImportRecord.summary, ImportRecord.finished_at)
    )
    for kind, summary, finished in rows:
        outcomes[kind, "changed" if summary_changed(summary) else "unchanged"] += 1
        if kind not in last_success or finished > last_success[kind]:
            last_success[kind] = finished
    _tallies[url] = (generation, outcomes, last_success)
    return outcomes, last_success


def schema_revision(session: Session) -> GaugeMetricFamily:
    """1, labelled with the revision the database records and the one this release needs."""
    family = GaugeMetricFamily(
        "mirror_schema_revision",
        "The database's schema revision, and the one this release needs (equal when current).",
        labels=["revision", "needed"],
    )
    family.add_metric([stored_revision(session.connection()) or "none", head_revision()], 1)
    return family


def database_up(answered: bool) -> GaugeMetricFamily:
    """1 when the database answered this scrape's queries, 0 when it failed."""
    family = GaugeMetricFamily("mirror_database_up", "Whether the database answered the scrape.")
    family.add_metric([], 1 if answered else 0)
    return family


def unix_time(moment: datetime) -> float:
    """A naive UTC time as seconds since the epoch."""
    return (moment - datetime(1970, 1, 1)).total_seconds()
