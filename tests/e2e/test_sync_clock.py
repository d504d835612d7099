"""Where the next incremental sync starts: when the last sync began, in the upstream's clock when
its Date header (whole seconds) shows that clock behind ours, and to the microsecond otherwise."""

from datetime import datetime, timedelta

import sqlalchemy as sa

from extensions import db
from models import ImportRecord
from models.columns import utcnow


def recorded_start(app, upstream, tmp_path) -> datetime:
    """Sync the app from the upstream; the start its import record keeps for the next sync."""
    work = str(tmp_path / "work")
    result = app.test_cli_runner().invoke(
        args=["mirror", "sync", "--upstream", upstream.url, "--work-dir", work]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        query = sa.select(ImportRecord.started_at).where(ImportRecord.kind == "sync")
        return db.session.execute(query).scalar_one()


def test_a_sync_starts_from_its_own_clock_when_the_upstreams_shows_the_same_second(
    app, misbehaving_upstream, tmp_path
):
    before = utcnow()

    started = recorded_start(app, misbehaving_upstream, tmp_path)

    assert before <= started <= utcnow()


def test_a_sync_starts_from_the_upstreams_clock_when_its_date_is_an_earlier_second(
    app, misbehaving_upstream, tmp_path
):
    misbehaving_upstream.clock_offset = -3600
    before = utcnow() - timedelta(hours=1)

    started = recorded_start(app, misbehaving_upstream, tmp_path)

    assert started.microsecond == 0
    assert before.replace(microsecond=0) <= started <= utcnow() - timedelta(hours=1)
