"""How imports meet readers: one snapshot per request and command, and a WAL kept small."""

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.dumps import dump, import_dump, node, version, write

ROOT = Path(__file__).resolve().parents[2]
SHARED_NODES = 150
# B adds these nodes, so totals tell the dumps apart as well as the marks do.
ONLY_IN_B = 3
# Imports each flipping process runs; two processes, so two writers queue for the write lock.
FLIPS = 20
WRITERS = 2
# Only a guard against a hung import: assertions count answers, never time.
HANG_GUARD_SECONDS = 300
EXPORT_EVERY = 4
LARGE_IMPORT_NODES = 2000
# What a checkpointed WAL may still hold: a few pages written after the import's checkpoint.
SMALL_WAL_BYTES = 64 * 1024

POLLED = (
    "/nodes?limit=200",
    "/nodes/search?search=node&limit=200",
    "/nodes/node-000",
    "/nodes/node-000/install",
    "/nodes/node-000/versions",
    "/nodes/node-000/versions/1.0.0",
    "/versions?pageSize=1000",
    "/publishers/pub",
)

BULK = {
    "node_versions": [
        {"node_id": "node-000", "version": "1.0.0"},
        {"node_id": "node-000", "version": "2.0.0"},
        {"node_id": f"node-{SHARED_NODES:03d}", "version": "1.0.0"},
    ]
}

# `flask mirror import --replace`, run FLIPS times alternating the two dumps, in one process.
FLIPPER = textwrap.dedent(
    """
    import sys
    from flask.cli import FlaskGroup
    from app import create_app

    first, second, flips = sys.argv[1], sys.argv[2], int(sys.argv[3])
    for flip in range(flips):
        path = second if flip % 2 == 0 else first
        FlaskGroup(create_app=create_app).main(
            ["mirror", "import", "--replace", path], standalone_mode=False
        )
    """
)


def marked_dump(mark: str) -> dict:
    """Every node, version and publisher carries `mark`; B also has newer versions and nodes."""
    count = SHARED_NODES + (ONLY_IN_B if mark == "b" else 0)
    nodes = []
    for index in range(count):
        versions = [version("1.0.0", changelog=f"{mark} first")]
        if mark == "b":
            versions.append(version("2.0.0", changelog="b second"))
        nodes.append(
            node(
                f"node-{index:03d}",
                *versions,
                name=f"Node {index}",
                description=f"from dump {mark}",
                publisher={"id": "pub"},
            )
        )
    publisher = {"id": "pub", "name": f"Publisher {mark}", "description": f"dump {mark}"}
    return dump(*nodes, publishers=[publisher])


def answers(client) -> dict[str, tuple[int, object]]:
    """What every polled endpoint answers right now."""
    found = {}
    for url in POLLED:
        response = client.get(url)
        found[url] = (response.status_code, response.get_json())
    response = client.post("/bulk/nodes/versions", json=BULK)
    found["/bulk/nodes/versions"] = (response.status_code, response.get_json())
    status = client.get("/status").get_json()
    found["/status"] = (status["nodes"], status["versions"], status["versions_by_status"])
    return found


def exported(runner, path: Path) -> dict:
    """Run `flask mirror export` and read the dump back, without its export time."""
    result = runner.invoke(args=["mirror", "export", str(path)])
    assert result.exit_code == 0, result.output
    document = json.loads(path.read_text())
    del document["exported_at"]
    return document


def import_file(runner, path: Path) -> None:
    """Run `flask mirror import --replace` in this process."""
    result = runner.invoke(args=["mirror", "import", "--replace", str(path)])
    assert result.exit_code == 0, result.output


def start_flipper(app, first: Path, second: Path):
    """Start the process that flips the mirror between the two dumps."""
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "MIRROR_ARCHIVE_DIR": app.config["ARCHIVE_DIR"],
    }
    return subprocess.Popen(
        [sys.executable, "-c", FLIPPER, str(first), str(second), str(FLIPS)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.e2e
@pytest.mark.slow
def test_answers_and_exports_never_mix_two_imports(app, client, runner, tmp_path):
    first = write(tmp_path / "a.json", marked_dump("a"))
    second = write(tmp_path / "b.json", marked_dump("b"))
    expected = {}
    for mark, path in (("b", second), ("a", first)):
        import_file(runner, path)
        expected[mark] = (answers(client), exported(runner, tmp_path / f"{mark}-export.json"))
    # The reference answers must tell the dumps apart, or mixing could not be seen.
    for url, answer in expected["a"][0].items():
        assert answer != expected["b"][0][url], url

    flippers = [start_flipper(app, first, second) for _ in range(WRITERS)]
    mixed, seen, rounds, exports = [], {"a": 0, "b": 0}, 0, 0
    hang_guard = time.monotonic() + HANG_GUARD_SECONDS
    try:
        while any(flipper.poll() is None for flipper in flippers):
            assert time.monotonic() < hang_guard, "the flipping imports did not finish"
            rounds += 1
            for url, answer in answers(client).items():
                marks = [mark for mark in "ab" if expected[mark][0][url] == answer]
                if marks:
                    seen[marks[0]] += 1
                else:
                    mixed.append((url, answer))
            if rounds % EXPORT_EVERY == 0:
                exports += 1
                document = exported(runner, tmp_path / "export.json")
                if document not in (expected["a"][1], expected["b"][1]):
                    mixed.append(("export", len(document["nodes"])))
    finally:
        for flipper in flippers:
            if flipper.poll() is None:
                flipper.kill()
    # Every import of both writers succeeded: they waited for the write lock, none failed.
    for flipper in flippers:
        assert flipper.wait() == 0, flipper.stderr.read()
    assert mixed == []
    # The polling overlapped the imports: both dumps were served while they flipped.
    assert seen["a"] > 0 and seen["b"] > 0, seen
    assert exports > 0


@pytest.mark.sqlite_only("the WAL file is SQLite's")
def test_the_wal_file_is_small_after_a_large_import(app, runner, tmp_path):
    large = dump(
        *(
            node(f"pack-{index:05d}", version("1.0.0"), version("1.1.0"), description="x" * 500)
            for index in range(LARGE_IMPORT_NODES)
        )
    )
    result = import_dump(runner, tmp_path, large)
    assert result.exit_code == 0, result.output
    database = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    wal = Path(f"{database}-wal")
    # The import was large: without a checkpoint its pages would all sit in the WAL.
    assert database.stat().st_size > 20 * SMALL_WAL_BYTES
    assert not wal.exists() or wal.stat().st_size < SMALL_WAL_BYTES
