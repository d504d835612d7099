"""End to end: a mirror 0.1.0 made is upgraded in place, and nothing serves it before that."""

import io
import json
import os
import re
import sqlite3
import subprocess
import tarfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import create_app
from services.schema import FIRST_REVISION, head_revision
from tests.revisions import behind_message, migrate_from_nothing, schema_differences
from tests.serving import BIN, ROOT, flask, gunicorn

pytestmark = [pytest.mark.e2e, pytest.mark.sqlite_only("0.1.0 made its mirrors on SQLite only")]

# The commit 0.1.0 was released at.
RELEASE_0_1_0 = "50fc641"
# Read API requests whose answers must not change across the upgrade: (method, path, body).
READS = [
    ("GET", "/nodes?limit=100", None),
    ("GET", "/nodes/comfyui-kjnodes", None),
    ("GET", "/nodes/comfyui-kjnodes/versions", None),
    ("GET", "/nodes/comfyui-kjnodes/install", None),
    ("GET", "/nodes/search?search=video", None),
    ("GET", "/publishers/kijai", None),
    ("GET", "/status", None),
    (
        "POST",
        "/bulk/nodes/versions",
        {
            "node_versions": [
                {"node_id": "comfyui-kjnodes", "version": "1.0.0"},
                {"node_id": "author/repo", "version": ""},
            ]
        },
    ),
]
# Run inside 0.1.0's code: answer READS (given as JSON) through its own app, print the answers.
ANSWER_READS = """
import json, sys
from app import create_app
client = create_app().test_client()
answers = []
for method, path, body in json.loads(sys.argv[1]):
    response = client.open(path, method=method, json=body)
    answers.append([response.status_code, response.get_json()])
print(json.dumps(answers))
"""


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    """0.1.0's code as released, unpacked from this repository's history."""
    found = subprocess.run(
        ["git", "-C", str(ROOT), "cat-file", "-e", f"{RELEASE_0_1_0}^{{commit}}"],
        capture_output=True,
    )
    if found.returncode != 0:
        pytest.skip(f"0.1.0's commit {RELEASE_0_1_0} is not in this clone (a shallow clone?)")
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", RELEASE_0_1_0], capture_output=True, check=True
    )
    folder = tmp_path_factory.mktemp("release-0.1.0")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def run_release(release: Path, *args: str, env: dict) -> subprocess.CompletedProcess:
    """Run a command (`flask ...`, `python ...`) with 0.1.0's code, in this environment."""
    return subprocess.run(
        [str(BIN / args[0]), *args[1:]],
        cwd=release,
        env={**os.environ, "FLASK_APP": "app", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def env(tmp_path) -> dict:
    """The settings both releases run with: one database, one archive directory."""
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'mirror.db'}",
        "MIRROR_ARCHIVE_DIR": str(tmp_path / "archives"),
        # Download URLs name the mirror; fixed, they do not depend on how a request came in.
        "MIRROR_PUBLIC_URL": "http://mirror.example.test",
    }


@pytest.fixture
def old_mirror(release, env) -> dict:
    """A mirror 0.1.0 seeded, as `make run` of 0.1.0 left it."""
    seeded = run_release(release, "flask", "mirror", "seed", env=env)
    assert seeded.returncode == 0, seeded.stderr
    assert "Seeded the empty mirror" in seeded.stdout
    return env


def exported(result: subprocess.CompletedProcess, path: Path) -> dict:
    """The dump an export wrote, less the moment it was written."""
    assert result.returncode == 0, result.stderr
    document = json.loads(path.read_text())
    del document["exported_at"]
    return document


def answers_over_http(url: str) -> list:
    """READS answered by a mirror served at `url`: [status, JSON body] each."""
    answers = []
    for method, path, body in READS:
        data = None if body is None else json.dumps(body).encode()
        headers = {} if body is None else {"Content-Type": "application/json"}
        request = urllib.request.Request(url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                answers.append([response.status, json.loads(response.read())])
        except urllib.error.HTTPError as error:
            answers.append([error.code, json.loads(error.read())])
    return answers


def test_a_0_1_0_mirror_is_upgraded_in_place_with_the_same_data_and_answers(
    release, old_mirror, tmp_path
):
    old_path = tmp_path / "old.json"
    old_export = run_release(release, "flask", "mirror", "export", str(old_path), env=old_mirror)
    old_dump = exported(old_export, old_path)
    answered = run_release(release, "python", "-c", ANSWER_READS, json.dumps(READS), env=old_mirror)
    assert answered.returncode == 0, answered.stderr
    old_answers = json.loads(answered.stdout)
    assert [status for status, _ in old_answers] == [200] * len(READS)

    upgraded = flask("db", "upgrade", env=old_mirror)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"A database made by 0.1.0: recorded at revision {FIRST_REVISION}" in upgraded.stderr
    database = tmp_path / "mirror.db"
    with sqlite3.connect(database) as connection:
        recorded = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    assert recorded == [(head_revision(),)]

    new_export = flask("mirror", "export", str(tmp_path / "new.json"), env=old_mirror)
    # Exports now carry release notes: a 0.1.0 mirror has none.
    assert exported(new_export, tmp_path / "new.json") == {**old_dump, "release_notes": []}
    verified = flask("mirror", "verify", env=old_mirror)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    with gunicorn(old_mirror) as url:
        new_answers = answers_over_http(url)
    # What /status reports beyond 0.1.0's: a 0.1.0 mirror's versions have no node classes yet,
    # it holds no release notes, lacks no archive a sync failed to fetch, its verification just
    # above found nothing, and those with an archive wait for `flask mirror index`.
    status = new_answers[READS.index(("GET", "/status", None))][1]
    assert status.pop("release_notes") == 0
    assert status.pop("last_verify")["problems"] == 0
    assert (status.pop("pull_through_imports"), status.pop("last_pull_through")) == (0, None)
    assert status["archives"].pop("missing") == 0
    archived = status["archives"]["versions"]
    assert status.pop("comfy_nodes") == {
        "upstream": 0,
        "extracted": 0,
        "not_indexed": 0,
        "pending": archived,
        "classes": 0,
    }
    assert new_answers == old_answers

    indexed = flask("mirror", "index", env=old_mirror)
    assert indexed.returncode == 0, indexed.stderr
    assert f"  {archived} versions indexed, {archived} node classes found, 0 not indexed" in (
        indexed.stdout
    )
    status = flask("mirror", "status", "--json", env=old_mirror)
    assert json.loads(status.stdout)["comfy_nodes"]["pending"] == 0


def test_gunicorn_refuses_to_serve_a_0_1_0_mirror(old_mirror):
    with pytest.raises(RuntimeError, match=re.escape(behind_message())), gunicorn(old_mirror):
        pass


def test_flask_mirror_import_refuses_a_0_1_0_mirror(old_mirror):
    refused = flask("mirror", "import", str(ROOT / "seed_data"), env=old_mirror)
    assert refused.returncode == 1
    assert behind_message() in refused.stderr


def test_the_first_revision_is_the_schema_of_0_1_0(old_mirror, tmp_path):
    released = sa.MetaData()
    engine = sa.create_engine(old_mirror["DATABASE_URL"])
    released.reflect(engine)
    engine.dispose()
    url = f"sqlite:///{tmp_path / 'first.db'}"
    migrate_from_nothing(create_app({"SQLALCHEMY_DATABASE_URI": url}), FIRST_REVISION)
    assert set(released.tables) == {"publishers", "nodes", "node_versions", "import_records"}
    assert schema_differences(url, released) == []
