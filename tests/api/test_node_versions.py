"""The read API on one node: GET /nodes/{id}, its install and versions, /versions, and
publishers; and the archive URLs they all give."""

import math

import orjson
import pytest
import sqlalchemy as sa

from extensions import db
from models import NodeVersion
from services.archive_urls import marked_archive_url
from tests.assertions import get_json
from tests.dumps import CATALOGUE_PUBLISHER, FILLER_NODES

TOTAL_VERSIONS = FILLER_NODES + 9
PACK_ONE_NEWEST_FIRST = ["3.0.0", "2.0.0-beta.1", "1.10.0", "1.9.0", "1.2.0", "1.1.0"]


def version_strings(versions: list[dict]) -> list[str]:
    return [listed["version"] for listed in versions]


# GET /nodes/{nodeId}


def test_get_node_sends_the_node_with_publisher_and_latest_version(catalogue_client):
    body = get_json(catalogue_client, "/nodes/Pack-One")
    [listed] = get_json(catalogue_client, "/nodes?node_id=Pack-One")["nodes"]
    assert body == listed


def test_mixed_case_id_redirects_to_the_published_id_keeping_the_query(catalogue_client):
    response = catalogue_client.get("/nodes/pack-one?include_translations=true")
    assert response.status_code == 302
    assert response.headers["Location"] == "/nodes/Pack-One?include_translations=true"
    response = catalogue_client.get("/nodes/PACK-ONE?nodeId=x&_external=1&a=%2F")
    assert response.headers["Location"] == "/nodes/Pack-One?nodeId=x&_external=1&a=%2F"
    followed = catalogue_client.get("/nodes/PACK-ONE", follow_redirects=True)
    assert followed.status_code == 200
    assert followed.get_json()["id"] == "Pack-One"


def test_translations_only_when_asked(catalogue_client):
    assert "translations" not in get_json(catalogue_client, "/nodes/Pack-One")
    assert "translations" not in get_json(
        catalogue_client, "/nodes/Pack-One?include_translations=false"
    )
    body = get_json(catalogue_client, "/nodes/Pack-One?include_translations=true")
    assert body["translations"] == {"zh": {"name": "Pack One in Chinese"}}


# GET /nodes/{nodeId}/install


def test_install_without_version_sends_the_latest(catalogue_client):
    assert get_json(catalogue_client, "/nodes/Pack-One/install") == get_json(
        catalogue_client, "/nodes/Pack-One/versions/1.10.0"
    )


def test_install_with_version_sends_that_version(catalogue_client):
    body = get_json(catalogue_client, "/nodes/Pack-One/install?version=1.9.0")
    assert body["version"] == "1.9.0"
    assert body["downloadUrl"].endswith("/Pack-One/1.9.0/node.zip")
    assert body["status_reason"] == ""


def test_install_accepts_a_pre_release_version(catalogue_client):
    assert get_json(catalogue_client, "/nodes/Pack-One/install?version=2.0.0-beta.1")[
        "version"
    ] == ("2.0.0-beta.1")


def test_install_resolves_any_case_directly(catalogue_client):
    assert get_json(catalogue_client, "/nodes/PACK-ONE/install")["node_id"] == "Pack-One"


# GET /nodes/{nodeId}/versions and /nodes/{nodeId}/versions/{versionId}


def test_versions_come_newest_first_by_semver_precedence(catalogue_client):
    versions = get_json(catalogue_client, "/nodes/Pack-One/versions")
    assert version_strings(versions) == PACK_ONE_NEWEST_FIRST


def test_versions_filter_by_repeated_statuses(catalogue_client):
    url = "/nodes/Pack-One/versions?statuses=NodeVersionStatusActive"
    assert version_strings(get_json(catalogue_client, url)) == ["1.10.0", "1.9.0"]
    url += "&statuses=NodeVersionStatusPending"
    assert version_strings(get_json(catalogue_client, url)) == ["2.0.0-beta.1", "1.10.0", "1.9.0"]


def test_versions_omit_status_reason_unless_asked(catalogue_client):
    assert all(
        "status_reason" not in v for v in get_json(catalogue_client, "/nodes/Pack-One/versions")
    )
    url = "/nodes/Pack-One/versions?include_status_reason=true"
    reasons = {v["version"]: v["status_reason"] for v in get_json(catalogue_client, url)}
    assert reasons["1.2.0"] == "Malware FOUND"
    assert reasons["1.9.0"] == ""


def test_a_listed_version_is_the_stored_one_less_its_status_reason(catalogue_client):
    [listed] = get_json(
        catalogue_client, "/nodes/Pack-One/versions?statuses=NodeVersionStatusFlagged"
    )
    single = get_json(catalogue_client, "/nodes/Pack-One/versions/3.0.0")
    assert single.pop("status_reason") == "Under review"
    assert listed == single


def test_get_node_version_matches_the_bulk_answer(catalogue_client):
    body = {"node_versions": [{"node_id": "Pack-One", "version": "1.9.0"}]}
    [result] = catalogue_client.post("/bulk/nodes/versions", json=body).get_json()["node_versions"]
    assert get_json(catalogue_client, "/nodes/pack-one/versions/1.9.0") == result["node_version"]


def test_versions_of_a_banned_node_are_still_served_one_by_one(catalogue_client):
    # Upstream documents no 403 for GetNodeVersion; the bulk endpoint serves them too.
    assert get_json(catalogue_client, "/nodes/banned-pack/versions/1.0.0")["version"] == "1.0.0"


# GET /versions


def test_all_versions_default_page(catalogue_client):
    body = get_json(catalogue_client, "/versions")
    assert set(body) == {"total", "versions", "page", "pageSize", "totalPages"}
    assert (body["total"], body["page"], body["pageSize"]) == (TOTAL_VERSIONS, 1, 10)
    assert body["totalPages"] == math.ceil(TOTAL_VERSIONS / 10)
    assert all("status_reason" not in v for v in body["versions"])


@pytest.mark.parametrize("size,served", [(500, 100), (0, 10), (-3, 10), (25, 25)])
def test_page_size_is_clamped_and_echoed(catalogue_client, size, served):
    body = get_json(catalogue_client, f"/versions?pageSize={size}")
    assert body["pageSize"] == served
    assert len(body["versions"]) == served
    assert body["totalPages"] == math.ceil(TOTAL_VERSIONS / served)


def test_walking_all_versions_sees_each_once(catalogue_client):
    seen = []
    for page in range(1, math.ceil(TOTAL_VERSIONS / 30) + 1):
        seen += [
            v["id"]
            for v in get_json(catalogue_client, f"/versions?pageSize=30&page={page}")["versions"]
        ]
    assert len(seen) == len(set(seen)) == TOTAL_VERSIONS


def test_all_versions_of_one_node_come_newest_first(catalogue_client):
    body = get_json(catalogue_client, "/versions?nodeId=pack-one&pageSize=4&page=1")
    assert body["total"] == len(PACK_ONE_NEWEST_FIRST)
    assert version_strings(body["versions"]) == PACK_ONE_NEWEST_FIRST[:4]
    second = get_json(catalogue_client, "/versions?nodeId=pack-one&pageSize=4&page=2")
    assert version_strings(second["versions"]) == PACK_ONE_NEWEST_FIRST[4:]


def test_all_versions_of_an_unknown_node_is_an_empty_page(catalogue_client):
    body = get_json(catalogue_client, "/versions?nodeId=missing")
    assert (body["total"], body["versions"], body["totalPages"]) == (0, [], 0)


def test_all_versions_filter_by_statuses_and_status_reason(catalogue_client):
    url = "/versions?statuses=NodeVersionStatusBanned&statuses=NodeVersionStatusDeleted"
    assert sorted(version_strings(get_json(catalogue_client, url)["versions"])) == [
        "1.1.0",
        "1.2.0",
    ]
    url = "/versions?status_reason=malware&include_status_reason=true"
    [found] = get_json(catalogue_client, url)["versions"]
    assert (found["version"], found["status_reason"]) == ("1.2.0", "Malware FOUND")


# GET /publishers/{publisherId}


def test_publisher_is_sent_whole(catalogue_client):
    assert get_json(catalogue_client, "/publishers/pub-one") == CATALOGUE_PUBLISHER
    assert get_json(catalogue_client, "/publishers/pub-two") == {
        "id": "pub-two",
        "name": "Publisher Two",
    }


# Archive URLs


def test_mirrored_archive_urls_point_at_the_mirror_everywhere(app, client, catalogue):
    with app.app_context():
        row = db.session.scalars(
            sa.select(NodeVersion).where(NodeVersion.pair_key == "pack-one/1.10.0")
        ).one()
        stored = orjson.loads(row.serialized)
        stored["downloadUrl"] = marked_archive_url("Pack-One", "1.10.0")
        row.serialized = orjson.dumps(stored).decode()
        db.session.commit()
    expected = "http://localhost/archives/Pack-One/1.10.0/node.zip"
    assert get_json(client, "/nodes/Pack-One/install")["downloadUrl"] == expected
    assert get_json(client, "/nodes/Pack-One")["latest_version"]["downloadUrl"] == expected
    [listed] = get_json(client, "/nodes/Pack-One/versions?statuses=NodeVersionStatusActive")[:1]
    assert listed["downloadUrl"] == expected
    assert get_json(client, "/versions?nodeId=Pack-One")["versions"][2]["downloadUrl"] == expected
