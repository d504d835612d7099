"""What a killed import leaves in the archive directory is removed, but never a running one's."""

import io
from contextlib import contextmanager
from pathlib import Path

import pytest

from services.archives import ArchiveStore
from tests.bundles import (
    archive_bytes,
    content_addressed,
    import_into,
    mirror_app,
    stored_files,
    upstream_version,
    write_bundle,
)
from tests.dumps import dump, node, version, write

PACK = dump(
    node("pack-one", upstream_version("pack-one", "1.0.0")),
    node("pack-two", upstream_version("pack-two", "0.1.0")),
)
PACK_PAIRS = [("pack-one", "1.0.0"), ("pack-two", "0.1.0")]
STRAY = archive_bytes("stray", "9.9.9")
CLEAN = "No problems: "
IMPORT_RUNNING_NOTE = "An import or sync was running"


@pytest.fixture
def mirror(tmp_path):
    """A mirror that imported a bundle of PACK."""
    with mirror_app(tmp_path / "mirror") as app:
        import_into(app, write_bundle(tmp_path / "bundle", PACK))
        yield app


def kill_leftovers(app) -> tuple[Path, Path]:
    """What killed imports leave: a staging folder, an archive its versions never committed."""
    store = ArchiveStore(app.config["ARCHIVE_DIR"])
    # Killed while copying: half an archive in its staging folder.
    staging = store.staging_area()
    store.stage(io.BytesIO(STRAY[:40]), staging, "stray", "9.9.9")
    # Killed between moving its archives into place and committing.
    published = []
    other = store.staging_area()
    store.publish([store.stage(io.BytesIO(STRAY), other, "stray", "9.9.9")], published)
    ArchiveStore.discard(other)
    return Path(staging), Path(published[0])


@contextmanager
def running_import(app):
    """Hold the archive directory as a running import does, for the block."""
    with ArchiveStore(app.config["ARCHIVE_DIR"]).lock() as lock:
        lock.share()
        yield


def run_verify(app, *options: str):
    """Run `flask mirror verify`; returns the click result."""
    return app.test_cli_runner().invoke(args=["mirror", "verify", *options])


def another_dump(tmp_path: Path) -> Path:
    """A dump adding one node, to import over the mirror."""
    return write(tmp_path / "more.json", dump(node("pack-three", version("3.0.0"))))


def test_the_next_import_removes_what_a_killed_import_left(mirror, tmp_path):
    staging, orphan = kill_leftovers(mirror)
    found = run_verify(mirror)
    assert "Stale staging folders (1):" in found.output
    assert "Orphan archive files (1):" in found.output

    output = import_into(mirror, another_dump(tmp_path))

    assert "leftovers of interrupted imports removed: 2" in output
    assert not staging.exists() and not orphan.exists()
    expected = content_addressed(*(archive_bytes(*pair) for pair in PACK_PAIRS))
    assert stored_files(mirror) == expected
    result = run_verify(mirror)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(CLEAN)


def test_an_import_leaves_a_running_imports_work_alone(mirror, tmp_path):
    with running_import(mirror):
        staging, orphan = kill_leftovers(mirror)
        output = import_into(mirror, another_dump(tmp_path))
        assert "leftovers" not in output
        assert staging.is_dir() and orphan.is_file()
    # Once nothing runs, the next import finds them stale and removes them.
    output = import_into(mirror, another_dump(tmp_path))
    assert "leftovers of interrupted imports removed: 2" in output
    assert not staging.exists() and not orphan.exists()


def test_verify_leaves_a_running_imports_work_unchecked_and_repair_waits(mirror):
    with running_import(mirror):
        staging, orphan = kill_leftovers(mirror)
        checked = run_verify(mirror)
        repair = run_verify(mirror, "--repair")
        assert staging.is_dir() and orphan.is_file()
    assert checked.exit_code == 0, checked.output
    assert IMPORT_RUNNING_NOTE in checked.output
    assert "Stale staging folders" not in checked.output
    assert repair.exit_code == 1
    assert "Repair refused; the mirror is unchanged:" in repair.output
    assert "an import or sync is running: repair once it has finished." in repair.output


def test_repair_without_a_bundle_removes_leftovers(mirror):
    staging, orphan = kill_leftovers(mirror)

    result = run_verify(mirror, "--repair")

    assert result.exit_code == 0, result.output
    assert "removed the stale staging folder" in result.output
    assert "removed the orphan archive file" in result.output
    assert result.output.splitlines()[-1].startswith(CLEAN)
    assert not staging.exists() and not orphan.exists()


def test_repair_without_a_bundle_says_a_missing_archive_needs_one(mirror):
    missing = next(Path(mirror.config["ARCHIVE_DIR"]).glob("*/*.zip"))
    missing.unlink()

    result = run_verify(mirror, "--repair")

    assert result.exit_code == 1, result.output
    assert "is missing: give a bundle that holds it (--repair FROM_BUNDLE)" in result.output
    assert "Missing archives (1):" in result.output.split("After the repair:")[1]
