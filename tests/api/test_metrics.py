"""GET /metrics: requests by route template and status, latency, bulk pairs, archive bytes,
imports and data age read from the database, the schema revision, and MIRROR_METRICS=0."""

from datetime import UTC, datetime

import pytest

from config import Config
from extensions import db
from models import ImportRecord
from services.schema import head_revision
from tests.assertions import assert_error
from tests.bundles import ARCHIVE, ARCHIVE_URL, hold_archives_catalogue
from tests.databases import make_unreachable
from tests.dumps import dump, node, version, write
from tests.metrics import scrape, value
from tests.mirrors import import_into

REQUESTS = "mirror_http_requests_total"
NODE_ROUTE = "/nodes/<nodeId>"
BULK = "/bulk/nodes/versions"


def requests_counted(client, route: str, status: str, method: str = "GET") -> float:
    """How many requests to `route` answered `status` the scrape counts."""
    return value(scrape(client), REQUESTS, route=route, method=method, status=status)


def import_pack(app, folder, created_at: str = "2024-01-02T03:04:05.000000Z") -> None:
    """Import one node, `pack`, with version 1.0.0 created at `created_at`."""
    document = dump(node("pack", version("1.0.0", createdAt=created_at)))
    import_into(app, write(folder / "pack.json", document))


def test_requests_are_counted_by_route_template_not_path(client):
    before = scrape(client)
    for node_id in ("first-pack", "second-pack", "third-pack"):
        assert client.get(f"/nodes/{node_id}").status_code == 404
    after = scrape(client)
    labels = {"route": NODE_ROUTE, "method": "GET", "status": "404"}
    assert value(after, REQUESTS, **labels) - value(before, REQUESTS, **labels) == 3
    assert not any("first-pack" in str(key) for key in after)


def test_unmatched_paths_are_counted_under_one_label(client):
    before = requests_counted(client, "unmatched", "404")
    for path in ("/no/such/path", "/another/one", "/nodes/x/y/z/w"):
        assert client.get(path).status_code == 404
    assert requests_counted(client, "unmatched", "404") - before == 3


def test_methods_outside_the_api_are_counted_as_other(client):
    before = requests_counted(client, "unmatched", "405", method="other")
    assert client.open("/health", method="BREW").status_code == 405
    assert requests_counted(client, "unmatched", "405", method="other") - before == 1


def test_latency_is_observed_once_per_request_by_route(client):
    name = "mirror_http_request_duration_seconds"
    before = scrape(client)
    for _ in range(4):
        client.get("/health")
    after = scrape(client)
    for sample in (f"{name}_count", f"{name}_bucket"):
        labels = (
            {"route": "/health"} if sample.endswith("count") else {"route": "/health", "le": "+Inf"}
        )
        assert value(after, sample, **labels) - value(before, sample, **labels) == 4
    assert value(after, f"{name}_sum", route="/health") > value(
        before, f"{name}_sum", route="/health"
    )


def test_bulk_pairs_are_counted_per_request_and_by_result_status(app, client, tmp_path):
    import_pack(app, tmp_path)
    before = scrape(client)
    pairs = [("pack", "1.0.0"), ("PACK", "1.0.0"), ("pack", "9.9.9"), ("author/repo", ""), ("", "")]
    body = {"node_versions": [{"node_id": n, "version": v} for n, v in pairs]}
    assert client.post(BULK, json=body).status_code == 200
    after = scrape(client)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("mirror_bulk_pairs_total", status="success") == 2
    assert moved("mirror_bulk_pairs_total", status="not_found") == 1
    assert moved("mirror_bulk_pairs_total", status="error") == 2
    assert moved("mirror_bulk_request_pairs_count") == 1
    assert moved("mirror_bulk_request_pairs_sum") == 5
    assert moved("mirror_bulk_request_pairs_bucket", le="1.0") == 0
    assert moved("mirror_bulk_request_pairs_bucket", le="10.0") == 1


def test_a_refused_bulk_request_counts_no_pairs(client):
    before = scrape(client)
    assert client.post(BULK, json={"node_versions": "nope"}).status_code == 400
    after = scrape(client)
    assert value(after, "mirror_bulk_request_pairs_count") == value(
        before, "mirror_bulk_request_pairs_count"
    )
    assert value(after, REQUESTS, route=BULK, method="POST", status="400") == (
        value(before, REQUESTS, route=BULK, method="POST", status="400") + 1
    )


@pytest.mark.parametrize(
    ("method", "headers", "expected"),
    [
        ("GET", {}, len(ARCHIVE)),
        ("GET", {"Range": "bytes=0-9"}, 10),
        ("HEAD", {}, 0),
        ("GET", {"If-None-Match": "MATCH"}, 0),
    ],
    ids=["whole", "range", "head", "not-modified"],
)
def test_archive_bytes_are_counted_as_answered(app, client, tmp_path, method, headers, expected):
    hold_archives_catalogue(app, tmp_path / "bundle")
    if headers.get("If-None-Match") == "MATCH":
        headers = {"If-None-Match": client.get(ARCHIVE_URL).headers["ETag"]}
    before = value(scrape(client), "mirror_archive_served_bytes_total")
    response = client.open(ARCHIVE_URL, method=method, headers=headers)
    assert response.status_code in (200, 206, 304)
    assert value(scrape(client), "mirror_archive_served_bytes_total") - before == expected


def test_archive_bytes_handed_to_the_proxy_are_counted(make_mirror, tmp_path):
    app = make_mirror(ACCEL_REDIRECT="/_archives/")
    hold_archives_catalogue(app, tmp_path / "bundle")
    client = app.test_client()
    before = value(scrape(client), "mirror_archive_served_bytes_total")
    response = client.get(ARCHIVE_URL)
    assert response.headers["X-Accel-Redirect"] and response.data == b""
    assert value(scrape(client), "mirror_archive_served_bytes_total") - before == len(ARCHIVE)


def test_imports_are_counted_by_kind_and_outcome_from_the_records(app, client, tmp_path):
    assert value(scrape(client), "mirror_imports_total", kind="import", outcome="changed") == 0
    import_pack(app, tmp_path)
    import_pack(app, tmp_path)
    samples = scrape(client)
    assert value(samples, "mirror_imports_total", kind="import", outcome="changed") == 1
    assert value(samples, "mirror_imports_total", kind="import", outcome="unchanged") == 1
    assert value(samples, "mirror_imports_total", kind="sync", outcome="changed") == 0
    with app.app_context():
        last = db.session.scalars(db.select(ImportRecord.finished_at)).all()[-1]
    expected = last.replace(tzinfo=UTC).timestamp()
    stamp = value(samples, "mirror_import_last_success_timestamp_seconds", kind="import")
    assert stamp == pytest.approx(expected, abs=0.001)


def test_the_data_age_is_now_less_the_newest_created_at(app, client, tmp_path):
    assert ("mirror_data_age_seconds", ()) not in scrape(client)
    import_pack(app, tmp_path, created_at="2024-01-02T03:04:05.000000Z")
    created = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    earliest = (datetime.now(UTC) - created).total_seconds()
    age = value(scrape(client), "mirror_data_age_seconds")
    latest = (datetime.now(UTC) - created).total_seconds()
    assert earliest <= age <= latest


def test_the_schema_revision_is_a_label(client):
    samples = scrape(client)
    revision = head_revision()
    assert value(samples, "mirror_schema_revision", revision=revision, needed=revision) == 1
    assert value(samples, "mirror_database_up") == 1


def test_metrics_are_still_answered_when_the_database_fails(app, client):
    client.get("/health")
    with app.app_context():
        db.engine.dispose()
    make_unreachable(app.config["SQLALCHEMY_DATABASE_URI"])
    samples = scrape(client)
    assert value(samples, "mirror_database_up") == 0
    assert value(samples, REQUESTS, route="/health", method="GET", status="200") >= 1
    assert not any(name == "mirror_schema_revision" for name, _ in samples)


def test_metrics_off_answers_404_and_counts_nothing(make_mirror, client):
    off = make_mirror(METRICS=False).test_client()
    assert_error(off.get("/metrics"), 404, "MIRROR_METRICS=0")
    before = scrape(client)
    for _ in range(3):
        assert off.get("/nodes/some-pack").status_code == 404
        off.post(BULK, json={"node_versions": [{"node_id": "a", "version": "1"}]})
    after = scrape(client)
    labels = {"route": NODE_ROUTE, "method": "GET", "status": "404"}
    assert value(after, REQUESTS, **labels) == value(before, REQUESTS, **labels)
    assert value(after, "mirror_bulk_pairs_total", status="not_found") == value(
        before, "mirror_bulk_pairs_total", status="not_found"
    )


@pytest.mark.parametrize(("raw", "on"), [("0", False), ("1", True), ("", True), (" 0 ", False)])
def test_mirror_metrics_is_read_from_the_environment(monkeypatch, raw, on):
    monkeypatch.setenv("MIRROR_METRICS", raw)
    assert Config().METRICS is on


@pytest.mark.parametrize("raw", ["yes", "off", "2"])
def test_a_malformed_mirror_metrics_fails_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv("MIRROR_METRICS", raw)
    with pytest.raises(RuntimeError, match=r"MIRROR_METRICS must be 1 \(on\) or 0 \(off\)"):
        Config()
