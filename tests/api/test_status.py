"""GET /status and `flask mirror status`: what the mirror holds, the newest data, the last
import and sync, and the software version; documented in the OpenAPI document."""

import json
import tomllib
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from openapi_spec_validator import validate

import blueprints.status
from extensions import db
from models import ImportRecord, NodeVersionStatus
from schemas.status import StatusSchema
from tests.bundles import SEED_DATA, archive_bytes, import_into, upstream_version, write_bundle
from tests.dumps import dump, node, write
from tests.serving import ROOT

RFC3339 = "%Y-%m-%dT%H:%M:%S.%fZ"
ZERO_BY_STATUS = {status.value: 0 for status in NodeVersionStatus}
NO_CLASSES = {"upstream": 0, "extracted": 0, "not_indexed": 0, "pending": 0, "classes": 0}


def pyproject_version() -> str:
    """The version pyproject.toml declares."""
    with (ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)["project"]["version"]


def utc_now() -> datetime:
    """Now, as naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def moment(text: str) -> datetime:
    """A date-time the status document sends, as naive UTC."""
    return datetime.strptime(text, RFC3339)


def seed_expectations() -> dict:
    """The figures the sample seed bundle should give, worked out from its own files."""
    manifest = json.loads((SEED_DATA / "manifest.json").read_bytes())
    document = json.loads((SEED_DATA / manifest["dump"]["path"]).read_bytes())
    versions = [item for each in document["nodes"] for item in each["versions"]]
    statuses = Counter(item.get("status", "NodeVersionStatusActive") for item in versions)
    created = [
        datetime.fromisoformat(item["createdAt"]) for item in versions if "createdAt" in item
    ]
    sizes = {entry["sha256"]: entry["size"] for entry in manifest["archives"]}
    return {
        "nodes": len(document["nodes"]),
        "versions": len(versions),
        "versions_by_status": {**ZERO_BY_STATUS, **statuses},
        "archives": {
            "versions": len(manifest["archives"]),
            # The sample's versions without an archive are all Deleted or Banned.
            "missing": 0,
            "stored": len(sizes),
            "bytes": sum(sizes.values()),
        },
        "newest_created_at": max(created).astimezone(UTC).strftime(RFC3339),
        "origin": document["source"],
        # Every sample archive registers one node class, read from it at import.
        "comfy_nodes": {
            **NO_CLASSES,
            "extracted": len(manifest["archives"]),
            "classes": len(manifest["archives"]),
        },
    }


def cli_status(app, *options: str) -> str:
    """Run `flask mirror status`; require success and return its output."""
    result = app.test_cli_runner().invoke(args=["mirror", "status", *options])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def seeded(app) -> tuple[datetime, datetime]:
    """Import the sample seed bundle into the app; returns the times before and after."""
    before = utc_now()
    import_into(app, SEED_DATA)
    return before, utc_now()


def test_status_of_an_empty_mirror(client):
    response = client.get("/status")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == {
        "software_version": pyproject_version(),
        "nodes": 0,
        "versions": 0,
        "versions_by_status": ZERO_BY_STATUS,
        "archives": {"versions": 0, "missing": 0, "stored": 0, "bytes": 0},
        "release_notes": 0,
        "comfy_nodes": NO_CLASSES,
        "newest_created_at": None,
        "last_import": None,
        "last_sync": None,
        "last_verify": None,
        "pull_through_imports": 0,
        "last_pull_through": None,
    }


def test_status_counts_what_an_import_brought(seeded, client):
    before, after = seeded
    expected = seed_expectations()

    status = client.get("/status").get_json()

    keys = (
        "nodes",
        "versions",
        "versions_by_status",
        "archives",
        "newest_created_at",
        "comfy_nodes",
    )
    for key in keys:
        assert status[key] == expected[key], key
    assert status["software_version"] == pyproject_version()
    last = status["last_import"]
    assert (last["kind"], last["origin"], last["sources"]) == (
        "import",
        expected["origin"],
        [str(SEED_DATA)],
    )
    assert before <= moment(last["finished_at"]) <= after
    assert status["last_sync"] is None


def test_status_names_the_import_that_finished_last(app, client, tmp_path):
    import_into(app, SEED_DATA)
    later = dump(
        node("late-pack", upstream_version("late-pack", "1.0.0", createdAt="2030-01-02T03:04:05Z")),
        source="https://registry.example",
    )
    path = write(tmp_path / "later.json", later)
    import_into(app, path)

    status = client.get("/status").get_json()

    assert status["last_import"]["origin"] == "https://registry.example"
    assert status["last_import"]["sources"] == [str(path)]
    assert status["nodes"] == seed_expectations()["nodes"] + 1
    assert status["newest_created_at"] == "2030-01-02T03:04:05.000000Z"


def record_sync(app, kind: str = "sync", finished_at=datetime(2026, 11, 30, 11, 5, 0)) -> None:
    """Add the import record `flask mirror sync` leaves (its kind, upstream, start and end)."""
    with app.app_context():
        db.session.add(
            ImportRecord(
                kind=kind,
                origin="https://api.comfy.org",
                started_at=datetime(2026, 11, 30, 11, 0, 0),
                finished_at=finished_at,
                sources=["https://api.comfy.org"],
                replace=False,
                summary={},
            )
        )
        db.session.commit()


def test_status_names_the_last_sync_apart_from_the_last_import(app, seeded, client):
    record_sync(app)

    status = client.get("/status").get_json()

    assert status["last_sync"] == {
        "kind": "sync",
        "origin": "https://api.comfy.org",
        "sources": ["https://api.comfy.org"],
        "replace": False,
        "started_at": "2026-11-30T11:00:00.000000Z",
        "finished_at": "2026-11-30T11:05:00.000000Z",
    }
    assert status["last_import"]["kind"] == "import"


def test_a_sync_of_some_nodes_is_the_last_sync_when_it_finished_last(app, client):
    record_sync(app)
    record_sync(app, "sync-nodes", finished_at=datetime(2026, 12, 1))

    status = client.get("/status").get_json()

    assert status["last_sync"]["kind"] == "sync-nodes"
    assert status["last_sync"]["finished_at"] == "2026-12-01T00:00:00.000000Z"
    assert status["last_import"] is None
    assert "Last sync: 2026-12-01T00:00:00.000000Z (sync-nodes) from https://api.comfy.org; " in (
        cli_status(app)
    )


def test_identical_archives_are_counted_once_with_their_bytes(app, client, tmp_path):
    document = dump(
        node(
            "twin-pack",
            upstream_version("twin-pack", "1.0.0"),
            upstream_version("twin-pack", "1.0.1"),
            upstream_version("twin-pack", "1.0.2"),
        )
    )
    same = archive_bytes("twin-pack", "1.0.0")
    archived = [("twin-pack", "1.0.0"), ("twin-pack", "1.0.1")]
    bundle = write_bundle(
        tmp_path / "bundle", document, archived, contents={("twin-pack", "1.0.1"): same}
    )
    import_into(app, bundle)

    status = client.get("/status").get_json()

    assert status["archives"] == {"versions": 2, "missing": 1, "stored": 1, "bytes": len(same)}


def test_status_reads_the_database_only_never_the_archive_files(app, seeded, client):
    for path in Path(app.config["ARCHIVE_DIR"]).rglob("*.zip"):
        path.unlink()

    status = client.get("/status").get_json()

    assert status["archives"] == seed_expectations()["archives"]


def test_status_figures_are_refreshed_by_the_next_import(app, client, tmp_path):
    assert client.get("/status").get_json()["nodes"] == 0

    import_into(app, write(tmp_path / "one.json", dump(node("one-pack"))))

    assert client.get("/status").get_json()["nodes"] == 1


def test_changes_made_outside_an_import_show_once_the_cached_figures_expire(
    app, seeded, client, monkeypatch
):
    nodes = client.get("/status").get_json()["nodes"]
    with app.app_context():
        db.session.execute(sa.text("DELETE FROM nodes WHERE normalized_id = 'comfyui-kjnodes'"))
        db.session.commit()

    monkeypatch.setattr(blueprints.status, "STATUS_CACHE_SECONDS", 0)

    assert client.get("/status").get_json()["nodes"] == nodes - 1


def test_cli_status_json_is_the_document_get_status_sends(app, seeded, client):

    printed = cli_status(app, "--json")

    assert json.loads(printed) == client.get("/status").get_json()
    assert printed.rstrip("\n").encode() == client.get("/status").data


def test_cli_status_json_of_an_empty_mirror_equals_get_status(app, client):
    assert json.loads(cli_status(app, "--json")) == client.get("/status").get_json()


def test_cli_status_shows_the_same_facts_as_text(app, seeded):
    expected = seed_expectations()
    with app.app_context():
        finished = db.session.scalar(sa.select(ImportRecord.finished_at)).strftime(RFC3339)
    by_status = ", ".join(
        f"{status.value.removeprefix('NodeVersionStatus')} {expected['versions_by_status'][status]}"
        for status in NodeVersionStatus
    )
    archives = expected["archives"]
    classes = expected["comfy_nodes"]["classes"]

    lines = cli_status(app).splitlines()

    assert lines == [
        f"Comfy Registry Mirror {pyproject_version()}",
        f"Nodes: {expected['nodes']}",
        f"Versions: {expected['versions']} ({by_status})",
        f"Archives: {archives['stored']} stored, {archives['bytes'] / 1000:.1f} KB "
        f"({archives['bytes']} bytes), for {archives['versions']} versions",
        "Release notes: 0",
        f"Node classes: {classes}, of 0 versions from upstream and {classes} extracted; "
        "0 not indexed, 0 pending",
        f"Newest createdAt: {expected['newest_created_at']}",
        f"Last import: {finished} from {expected['origin']}; sources: {SEED_DATA}",
        "Last sync: never",
        "Pull-through imports: 0; last: never",
        "Last verify: never recorded (run flask mirror verify)",
    ]


def test_cli_status_of_an_empty_mirror_says_never(app):
    output = cli_status(app)

    assert "Nodes: 0\n" in output
    assert "Newest createdAt: none\n" in output
    assert "Last import: never\nLast sync: never\nPull-through imports: 0; last: never\n" in output


@pytest.fixture
def served_openapi(client) -> dict:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_status_is_in_the_openapi_document_and_it_still_validates(served_openapi):
    operation = served_openapi["paths"]["/status"]["get"]

    validate(served_openapi)
    assert operation["operationId"] == "GetMirrorStatus"
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/Status"}


def test_the_documented_status_is_the_schema_that_serializes_it(served_openapi, client):
    documented = served_openapi["components"]["schemas"]["Status"]["properties"]

    assert set(documented) == set(StatusSchema().fields)
    assert set(documented) == set(client.get("/status").get_json())
