"""Each `flask mirror verify` is recorded, and status (command, GET /status, web page) shows
the last one; a verification that cannot record says so and still reports."""

import pytest
import sqlalchemy as sa

from extensions import db
from models import VerifyRun
from services.integrity import runs
from tests.api.test_verify import deleted_archive, run_verify
from tests.bundles import import_into, write_bundle
from tests.databases import write_lock_held
from tests.dumps import dump, node, version

PACKS = dump(node("Pack-One", version("1.0.0"), version("1.1.0")))


@pytest.fixture
def imported(app, tmp_path):
    """A healthy mirror with an archive for every version."""
    import_into(app, write_bundle(tmp_path / "bundle", PACKS))


def last_verify(client) -> dict | None:
    """What GET /status says of the last verification."""
    return client.get("/status").get_json()["last_verify"]


def status_line(app) -> str:
    """The `Last verify:` line of `flask mirror status`."""
    output = app.test_cli_runner().invoke(args=["mirror", "status"]).output
    return next(line for line in output.splitlines() if line.startswith("Last verify:"))


def test_a_mirror_never_verified_says_so(app, client):
    assert last_verify(client) is None
    assert status_line(app) == "Last verify: never recorded (run flask mirror verify)"
    assert "never recorded" in client.get("/web/status").get_data(as_text=True)


def test_a_clean_verification_is_recorded(app, client, imported):
    assert run_verify(app).exit_code == 0

    run = last_verify(client)
    assert run["problems"] == 0 and run["problem_kinds"] == {} and run["repaired"] is False
    assert (run["nodes"], run["versions"], run["archives"]) == (1, 2, 2)
    assert status_line(app).endswith(": no problems; 1 nodes, 2 versions, 2 archives checked")
    assert "no problems;" in client.get("/web/status").get_data(as_text=True)


def test_problems_found_are_recorded_by_kind(app, client, imported):
    deleted_archive(app)
    assert run_verify(app).exit_code == 1

    run = last_verify(client)
    assert run["problems"] == 1 and run["problem_kinds"] == {"missing archives": 1}
    assert "1 problems (missing archives 1)" in status_line(app)
    page = client.get("/web/status").get_data(as_text=True)
    assert "<strong>1 problem</strong> (missing archives 1)" in page


def test_a_repair_records_the_verification_after_it(app, client, imported):
    deleted_archive(app)
    assert run_verify(app).exit_code == 1
    run_verify(app, "--repair")

    run = last_verify(client)
    assert run["repaired"] is True
    assert run["problem_kinds"] == {"missing archives": 1}  # no bundle to restore it from
    assert "after --repair" in status_line(app)


def test_a_verification_while_another_writes_reports_without_recording(app, client, imported):
    with write_lock_held(app.config["SQLALCHEMY_DATABASE_URI"]):
        result = run_verify(app)

    assert result.exit_code == 0, result.output
    assert "The result was not recorded for status: another import, sync or repair" in (
        result.output
    )
    assert last_verify(client) is None


def test_only_the_newest_runs_are_kept(app, imported, monkeypatch):
    monkeypatch.setattr(runs, "KEPT_RUNS", 2)
    for _ in range(3):
        assert run_verify(app).exit_code == 0

    with app.app_context():
        ids = db.session.scalars(sa.select(VerifyRun.id).order_by(VerifyRun.id)).all()
    assert ids == [2, 3]
