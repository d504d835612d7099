"""Serving node archives: GET and HEAD /archives/<id>/<version>/node.zip, with ranges, ETags
and caching, and a JSON 404 for a pair without an archive."""

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from extensions import db
from models import NodeVersion
from tests.bundles import ARCHIVE, ARCHIVE_URL, sha256

pytestmark = pytest.mark.usefixtures("archived_catalogue")

ONE_YEAR = 31536000


def test_get_serves_the_archive_bytes_with_immutable_caching(client):
    response = client.get(ARCHIVE_URL)

    assert response.status_code == 200
    assert response.data == ARCHIVE
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Length"] == str(len(ARCHIVE))
    assert response.headers["ETag"] == f'"{sha256(ARCHIVE)}"'
    assert response.cache_control.public
    assert response.cache_control.max_age == ONE_YEAR
    assert response.cache_control.immutable


def test_head_answers_the_headers_of_get_without_a_body(client):
    got, head = client.get(ARCHIVE_URL), client.head(ARCHIVE_URL)

    assert head.status_code == 200
    assert head.data == b""
    for header in ("Content-Type", "Content-Length", "ETag", "Cache-Control"):
        assert head.headers[header] == got.headers[header]


@pytest.mark.parametrize(
    ("requested", "start", "end"),
    [
        pytest.param("bytes=0-9", 0, 9, id="first-ten"),
        pytest.param("bytes=100-", 100, len(ARCHIVE) - 1, id="open-ended"),
        pytest.param("bytes=-20", len(ARCHIVE) - 20, len(ARCHIVE) - 1, id="suffix"),
    ],
)
def test_range_request_gets_206_with_content_range(client, requested, start, end):
    response = client.get(ARCHIVE_URL, headers={"Range": requested})

    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes {start}-{end}/{len(ARCHIVE)}"
    assert response.data == ARCHIVE[start : end + 1]


def test_if_none_match_with_the_sha256_gets_304(client):
    response = client.get(ARCHIVE_URL, headers={"If-None-Match": f'"{sha256(ARCHIVE)}"'})

    assert response.status_code == 304
    assert response.data == b""


def test_if_none_match_with_another_etag_gets_the_archive(client):
    response = client.get(ARCHIVE_URL, headers={"If-None-Match": f'"{"0" * 64}"'})

    assert response.status_code == 200
    assert response.data == ARCHIVE


@pytest.mark.parametrize("node_id", ["Pack-One", "pack-one", "PACK-ONE", "pAcK-oNe"])
def test_node_id_in_any_case_serves_the_archive(client, node_id):
    response = client.get(f"/archives/{node_id}/1.0.0/node.zip")

    assert response.status_code == 200
    assert response.data == ARCHIVE


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/archives/never-mirrored/1.0.0/node.zip", id="unknown-node"),
        pytest.param("/archives/Pack-One/9.9.9/node.zip", id="unknown-version"),
        pytest.param("/archives/Pack-One/1.0.0-X/node.zip", id="version-differing-in-case"),
        pytest.param("/archives/Pack-One/0.9.0/node.zip", id="version-without-archive"),
        pytest.param("/archives/pack-two/0.0.1/node.zip", id="another-without-archive"),
    ],
)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_pair_without_an_archive_is_404(client, path, method):
    response = client.open(path, method=method)

    assert response.status_code == 404
    assert response.mimetype == "application/json"
    if method == "GET":
        assert response.json["error"] == "Not Found"
        assert response.json["message"]


def test_archive_missing_from_storage_is_404_saying_it_is_missing(app, client):
    with app.app_context():
        digest = db.session.execute(
            sa.select(NodeVersion.archive_sha256).where(NodeVersion.pair_key == "pack-one/1.0.0")
        ).scalar_one()
    os.unlink(Path(app.config["ARCHIVE_DIR"]) / digest[:2] / f"{digest}.zip")

    response = client.get(ARCHIVE_URL)

    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert "missing" in response.json["message"]
