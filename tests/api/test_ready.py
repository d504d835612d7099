"""GET /ready: 200 only while the database answers at the schema this release needs and the
archive directory can be read; otherwise 503 with an ErrorResponse naming what is wrong."""

import os
import shutil

import pytest

from extensions import db
from services.schema import head_revision
from tests.assertions import assert_error
from tests.bundles import hold_archives_catalogue
from tests.databases import make_unreachable
from tests.revisions import behind_message, make_it_0_1_0
from version import __version__


def test_a_mirror_that_can_serve_is_ready(client):
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ready",
        "revision": head_revision(),
        "software_version": __version__,
    }


def test_a_mirror_holding_archives_is_ready(app, client, tmp_path):
    hold_archives_catalogue(app, tmp_path / "bundle")
    assert client.get("/ready").status_code == 200


def test_an_unreachable_database_is_not_ready(app, client):
    with app.app_context():
        db.engine.dispose()
    make_unreachable(app.config["SQLALCHEMY_DATABASE_URI"])
    assert_error(client.get("/ready"), 503, "Not ready: the database", "does not answer")
    assert client.get("/health").status_code == 200


def test_a_database_whose_schema_is_behind_is_not_ready(app, client):
    make_it_0_1_0(app)
    assert_error(client.get("/ready"), 503, behind_message())


def test_a_database_without_the_mirrors_tables_is_not_ready(app, client):
    with app.app_context():
        db.drop_all()
        db.engine.dispose()
    assert_error(client.get("/ready"), 503, "holds none of the mirror's tables", "DATABASE_URL")


def test_an_archive_directory_that_is_a_file_is_not_ready(make_mirror, tmp_path):
    path = tmp_path / "not-a-folder"
    path.write_bytes(b"")
    client = make_mirror(ARCHIVE_DIR=str(path)).test_client()
    assert_error(client.get("/ready"), 503, f"archive directory {path} is not a directory")


def test_a_missing_archive_directory_whose_archives_are_listed_is_not_ready(app, client, tmp_path):
    hold_archives_catalogue(app, tmp_path / "bundle")
    shutil.rmtree(app.config["ARCHIVE_DIR"])
    assert_error(client.get("/ready"), 503, "is missing, yet versions have archives in it")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any directory whatever its mode")
def test_an_unreadable_archive_directory_is_not_ready(app, client, tmp_path):
    hold_archives_catalogue(app, tmp_path / "bundle")
    os.chmod(app.config["ARCHIVE_DIR"], 0)
    try:
        assert_error(client.get("/ready"), 503, "cannot be read (MIRROR_ARCHIVE_DIR)")
    finally:
        os.chmod(app.config["ARCHIVE_DIR"], 0o755)
