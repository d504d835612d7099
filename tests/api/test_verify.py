"""`flask mirror verify`: every kind of damage reported by name with a non-zero exit, and
`--repair FROM_BUNDLE` fixing it from a verified bundle (or saying what it could not fix)."""

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from extensions import db
from models import Node, NodeVersion
from tests.bundles import (
    SEED_DATA,
    archive_bytes,
    archive_path,
    flip_byte,
    import_into,
    mirror_state,
    sha256,
    stored_files,
    upstream_version,
    write_bundle,
)
from tests.databases import POSTGRESQL, backend
from tests.dumps import dump, node
from tests.mirrors import database_path

CLEAN = "No problems: "
REFUSED = "Repair refused; the mirror is unchanged:"


def pack_dump() -> dict:
    """Two packs, four versions; Pack-One's latest is 1.1.0 (2.0.0-beta.1 is pending)."""
    return dump(
        node(
            "Pack-One",
            upstream_version("Pack-One", "1.0.0"),
            upstream_version("Pack-One", "1.1.0"),
            upstream_version("Pack-One", "2.0.0-beta.1", status="NodeVersionStatusPending"),
        ),
        node("pack-two", upstream_version("pack-two", "0.1.0")),
    )


@pytest.fixture
def bundle(tmp_path) -> Path:
    """A bundle of pack_dump() with an archive for every version."""
    return write_bundle(tmp_path / "bundle", pack_dump())


@pytest.fixture
def imported(app, bundle) -> None:
    """The app has imported the bundle: a healthy mirror to damage."""
    import_into(app, bundle)


def run_verify(app, *options: str):
    """Run `flask mirror verify`; returns the click result."""
    return app.test_cli_runner().invoke(args=["mirror", "verify", *options])


def stored_name(node_id: str, version: str) -> str:
    """Where the archive store keeps a version's archive (made by archive_bytes), relative."""
    digest = sha256(archive_bytes(node_id, version))
    return f"{digest[:2]}/{digest}.zip"


def stored_archive(app, node_id: str, version: str) -> Path:
    """The stored file of a version's archive."""
    return Path(app.config["ARCHIVE_DIR"]) / stored_name(node_id, version)


def execute(app, statement: str, **params) -> None:
    """Run one SQL statement on the mirror's database and commit it."""
    with app.app_context():
        db.session.execute(sa.text(statement), params)
        db.session.commit()


def served_state(app) -> dict:
    """What verify checks: archive files, each node's latest version, each version's JSON."""
    with app.app_context():
        latest = dict(db.session.execute(sa.select(Node.id, Node.latest_version)).all())
        versions = db.session.execute(
            sa.select(NodeVersion.pair_key, NodeVersion.serialized, NodeVersion.archive_size)
        ).all()
        return {
            "files": stored_files(app),
            "latest": latest,
            "versions": {key: (serialized, size) for key, serialized, size in versions},
        }


# Damage done to a healthy mirror, and the heading and line the report must hold.
def deleted_archive(app) -> tuple[str, str]:
    """An archive file removed."""
    stored_archive(app, "Pack-One", "1.0.0").unlink()
    name = stored_name("Pack-One", "1.0.0")
    return "Missing archives (1):", f"Pack-One 1.0.0: archive {name} is missing"


def flipped_byte(app) -> tuple[str, str]:
    """One byte of an archive inverted: same size, another sha256."""
    path = stored_archive(app, "Pack-One", "1.1.0")
    flip_byte(path)
    return (
        "Corrupt archives (1):",
        f"Pack-One 1.1.0: archive {stored_name('Pack-One', '1.1.0')} has the recorded size "
        f"but sha256 {sha256(path.read_bytes())}",
    )


def truncated_archive(app) -> tuple[str, str]:
    """An archive cut short."""
    path = stored_archive(app, "pack-two", "0.1.0")
    raw = path.read_bytes()
    path.write_bytes(raw[:100])
    return (
        "Corrupt archives (1):",
        f"pack-two 0.1.0: archive {stored_name('pack-two', '0.1.0')} is 100 bytes, "
        f"the database records {len(raw)}",
    )


def orphan_file(app) -> tuple[str, str]:
    """An archive file no version refers to."""
    path = stored_archive(app, "Stray", "1.0.0")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(archive_bytes("Stray", "1.0.0"))
    return (
        "Orphan archive files (1):",
        f"{stored_name('Stray', '1.0.0')}: no version refers to this archive",
    )


def stale_staging_folder(app) -> tuple[str, str]:
    """A staging folder an interrupted import left, with a half-copied archive in it."""
    folder = Path(app.config["ARCHIVE_DIR"]) / ".staging-k2j3h4"
    folder.mkdir()
    (folder / "tmpa1b2c3.zip").write_bytes(b"PK\x03\x04 half an archive")
    return (
        "Stale staging folders (1):",
        ".staging-k2j3h4: a staging folder an import or repair left behind",
    )


def tampered_latest_version(app) -> tuple[str, str]:
    """A node's derived latest_version changed by hand."""
    execute(app, "UPDATE nodes SET latest_version = '1.0.0' WHERE normalized_id = 'pack-one'")
    return (
        "Inconsistent latest versions (1):",
        "Pack-One: latest_version is '1.0.0'; its versions make it '1.1.0'",
    )


def tampered_serialized(app) -> tuple[str, str]:
    """A version's stored JSON changed by hand, so it no longer matches its columns."""
    with app.app_context():
        stored = db.session.execute(
            sa.select(NodeVersion.serialized).where(NodeVersion.pair_key == "pack-two/0.1.0")
        ).scalar_one()
    document = {**json.loads(stored), "changelog": "Not what the columns say."}
    execute(
        app,
        "UPDATE node_versions SET serialized = :serialized WHERE pair_key = 'pack-two/0.1.0'",
        serialized=json.dumps(document),
    )
    return (
        "Inconsistent serialized versions (1):",
        "pack-two 0.1.0: serialized differs from its stored fields in changelog",
    )


def wrong_recorded_size(app) -> tuple[str, str]:
    """A version's archive_size changed by hand; the file itself is intact."""
    size = len(archive_bytes("Pack-One", "2.0.0-beta.1"))
    execute(
        app, "UPDATE node_versions SET archive_size = 7 WHERE pair_key = 'pack-one/2.0.0-beta.1'"
    )
    return (
        "Archive records (1):",
        f"Pack-One 2.0.0-beta.1: the database records 7 bytes for archive "
        f"{stored_name('Pack-One', '2.0.0-beta.1')}, which matches its sha256 and is {size} bytes",
    )


DAMAGE: list[Callable] = [
    deleted_archive,
    flipped_byte,
    truncated_archive,
    orphan_file,
    stale_staging_folder,
    tampered_latest_version,
    tampered_serialized,
    wrong_recorded_size,
]


def test_the_sample_seed_data_verifies_clean_in_one_line(app):
    import_into(app, SEED_DATA)

    result = run_verify(app)

    manifest = json.loads((SEED_DATA / "manifest.json").read_bytes())
    document = json.loads((SEED_DATA / manifest["dump"]["path"]).read_bytes())
    versions = sum(len(each["versions"]) for each in document["nodes"])
    archives = len({entry["sha256"] for entry in manifest["archives"]})
    assert result.exit_code == 0, result.output
    assert result.output.startswith(CLEAN)
    assert result.output.count("\n") == 1
    assert f"{len(document['nodes'])} nodes, {versions} versions and {archives} archives" in (
        result.output
    )
    assert "database integrity: ok" in result.output


def test_an_empty_mirror_verifies_clean(app):
    result = run_verify(app)

    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{CLEAN}0 nodes, 0 versions and 0 archives")


@pytest.mark.parametrize("damage", DAMAGE)
def test_each_problem_is_reported_by_name_with_a_non_zero_exit(app, imported, damage):
    heading, line = damage(app)

    result = run_verify(app)

    assert result.exit_code == 1, result.output
    assert heading in result.output
    assert f"  {line}\n" in result.output
    assert "1 problem: " in result.output


@pytest.mark.parametrize("damage", DAMAGE)
def test_repair_fixes_each_problem_and_a_second_verify_passes(app, imported, bundle, damage):
    healthy = served_state(app)
    damage(app)

    result = run_verify(app, "--repair", str(bundle))

    assert result.exit_code == 0, result.output
    assert "Repaired:" in result.output
    assert result.output.splitlines()[-1].startswith(CLEAN)
    assert served_state(app) == healthy
    assert run_verify(app).exit_code == 0


def test_repair_fixes_every_problem_at_once(app, imported, bundle):
    healthy = served_state(app)
    expected = [damage(app) for damage in DAMAGE]
    found = run_verify(app)
    assert all(f"  {line}\n" in found.output for _, line in expected), found.output

    result = run_verify(app, "--repair", str(bundle))

    assert result.exit_code == 0, result.output
    assert served_state(app) == healthy
    assert not list(Path(app.config["ARCHIVE_DIR"]).glob(".staging-*"))


def test_repair_reports_an_archive_the_bundle_lacks_and_exits_non_zero(app, imported, tmp_path):
    heading, line = deleted_archive(app)
    orphan_file(app)
    lacking = [("Pack-One", "1.1.0"), ("pack-two", "0.1.0")]
    partial = write_bundle(tmp_path / "partial", pack_dump(), lacking)
    digest = sha256(archive_bytes("Pack-One", "1.0.0"))

    result = run_verify(app, "--repair", str(partial))

    assert result.exit_code == 1, result.output
    assert f"Not repaired:\n  Pack-One 1.0.0: the bundle has no archive with sha256 {digest}\n" in (
        result.output
    )
    after = result.output.split("After the repair:")[1]
    assert heading in after and line in after
    assert "Orphan archive files" not in after
    assert not stored_archive(app, "Stray", "1.0.0").exists()


def test_repair_takes_any_bundle_archive_with_the_recorded_sha256(app, imported, tmp_path):
    deleted_archive(app)
    # Another pack whose archive has the very bytes the mirror lost.
    other = dump(node("other-pack", upstream_version("other-pack", "9.0.0")))
    same = {("other-pack", "9.0.0"): archive_bytes("Pack-One", "1.0.0")}
    donor = write_bundle(tmp_path / "donor", other, contents=same)

    result = run_verify(app, "--repair", str(donor))

    assert result.exit_code == 0, result.output
    assert stored_archive(app, "Pack-One", "1.0.0").read_bytes() == archive_bytes(
        "Pack-One", "1.0.0"
    )


def test_repair_refuses_a_corrupt_bundle_and_changes_nothing(app, imported, bundle):
    for damage in (deleted_archive, orphan_file, stale_staging_folder, tampered_latest_version):
        damage(app)
    flip_byte(bundle / archive_path("Pack-One", "1.1.0"))
    before = mirror_state(app)

    result = run_verify(app, "--repair", str(bundle))

    assert result.exit_code == 1, result.output
    assert REFUSED in result.output
    assert "archives[1]: archives/Pack-One/1.1.0.zip has sha256" in result.output
    assert mirror_state(app) == before


def test_repair_marks_nodes_whose_served_data_changed_as_changed(app, imported, bundle):
    tampered_latest_version(app)
    tampered_serialized(app)
    with app.app_context():
        before = dict(db.session.execute(sa.select(Node.id, Node.changed_at)).all())

    assert run_verify(app, "--repair", str(bundle)).exit_code == 0

    with app.app_context():
        after = dict(db.session.execute(sa.select(Node.id, Node.changed_at)).all())
    assert after["Pack-One"] > before["Pack-One"]
    assert after["pack-two"] > before["pack-two"]


def test_a_status_changed_by_sql_is_reported_on_the_version_and_its_node(app, imported):
    execute(
        app,
        "UPDATE node_versions SET status = 'NodeVersionStatusBanned' "
        "WHERE pair_key = 'pack-one/1.1.0'",
    )

    result = run_verify(app)

    assert result.exit_code == 1
    assert "  Pack-One 1.1.0: serialized differs from its stored fields in status\n" in (
        result.output
    )
    assert "  Pack-One: latest_version is '1.1.0'; its versions make it '1.0.0'\n" in (
        result.output
    )


def insert_version_of_a_missing_node(app) -> None:
    """A version row whose node does not exist, written with foreign keys off."""
    if backend() == POSTGRESQL:
        insert_version_of_a_missing_node_into_postgresql(app)
        return
    path = database_path(app)
    with app.app_context():
        db.engine.dispose()
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA foreign_keys=OFF")
    connection.execute(
        "INSERT INTO node_versions (id, node_normalized_id, node_id, version, pair_key, "
        "changelog, dependencies, deprecated, status, status_reason, serialized) VALUES "
        "('00000000-0000-4000-8000-000000000001', 'ghost', 'ghost', '1.0.0', 'ghost/1.0.0', "
        "'', '[]', 0, 'NodeVersionStatusActive', '', '{}')"
    )
    connection.commit()
    connection.close()


def insert_version_of_a_missing_node_into_postgresql(app) -> None:
    """The same row on PostgreSQL, written with its foreign-key triggers off (as a restore may)."""
    with app.app_context(), db.engine.begin() as connection:
        connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        connection.exec_driver_sql(
            "INSERT INTO node_versions (id, node_normalized_id, node_id, version, pair_key, "
            "changelog, dependencies, deprecated, status, status_reason, serialized) VALUES "
            "('00000000-0000-4000-8000-000000000001', 'ghost', 'ghost', '1.0.0', "
            "'ghost/1.0.0', '', '[]', false, 'NodeVersionStatusActive', '', '{}')"
        )


def test_a_foreign_key_violation_is_reported(app, imported):
    insert_version_of_a_missing_node(app)

    result = run_verify(app)

    assert result.exit_code == 1, result.output
    assert "Database integrity (1):\n" in result.output
    assert "  node_versions ghost 1.0.0: node_normalized_id 'ghost' names no row of nodes\n" in (
        result.output
    )
    assert "database integrity: failed" in result.output


def test_repair_leaves_a_database_integrity_problem_and_says_so(app, imported, bundle):
    insert_version_of_a_missing_node(app)

    result = run_verify(app, "--repair", str(bundle))

    assert result.exit_code == 1, result.output
    assert "Not repaired:\n  node_versions ghost 1.0.0: node_normalized_id" in result.output
    assert "Database integrity (1):" in result.output.split("After the repair:")[1]


def test_files_that_are_not_the_stores_are_listed_but_left_alone(app, imported, bundle):
    root = Path(app.config["ARCHIVE_DIR"])
    (root / "lost+found").mkdir()
    (root / "README.txt").write_text("archives live here\n")

    result = run_verify(app, "--repair", str(bundle))

    assert result.exit_code == 0, result.output
    assert "left alone (2):\n  README.txt\n  lost+found\n" in result.output
    assert (root / "README.txt").exists()
    assert (root / "lost+found").is_dir()


def test_repair_of_a_healthy_mirror_changes_nothing(app, imported, bundle):
    before = mirror_state(app)

    result = run_verify(app, "--repair", str(bundle))

    assert result.exit_code == 0, result.output
    assert result.output.startswith("Nothing to repair.\n")
    after = mirror_state(app)
    # Only the verification that followed is recorded (for status).
    assert len(after["tables"].pop("verify_runs")) == 1
    before["tables"].pop("verify_runs")
    assert after == before
