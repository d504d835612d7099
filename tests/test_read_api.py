"""The read API: /nodes, /nodes/search, /nodes/{id}, install, versions, /versions, publishers."""

import math
from datetime import UTC, datetime
from urllib.parse import quote

import orjson
import pytest
import sqlalchemy as sa

from extensions import db
from models import NodeVersion
from services.archive_urls import marked_archive_url
from tests.dumps import (
    CATALOGUE_PUBLISHER,
    FILLER_NODES,
    catalogue_dump,
    dump,
    import_dump,
    node,
    version,
)

TOTAL_NODES = FILLER_NODES + 4
TOTAL_VERSIONS = FILLER_NODES + 9
PACK_ONE_NEWEST_FIRST = ["3.0.0", "2.0.0-beta.1", "1.10.0", "1.9.0", "1.2.0", "1.1.0"]


@pytest.fixture
def catalogue(runner, tmp_path):
    """A mirror holding tests.dumps.catalogue_dump()."""
    result = import_dump(runner, tmp_path, catalogue_dump())
    assert result.exit_code == 0, result.output


def get_json(client, url: str, status: int = 200):
    """GET `url`, assert its status, and return its JSON body."""
    response = client.get(url)
    assert response.status_code == status, response.data
    assert response.mimetype == "application/json"
    return response.get_json()


def node_ids(body: dict) -> list[str]:
    return [listed["id"] for listed in body["nodes"]]


def version_strings(versions: list[dict]) -> list[str]:
    return [listed["version"] for listed in versions]


# GET /nodes: pages


def test_nodes_default_to_page_1_of_10(client, catalogue):
    body = get_json(client, "/nodes")
    assert set(body) == {"total", "nodes", "page", "limit", "totalPages"}
    assert (body["total"], body["page"], body["limit"]) == (TOTAL_NODES, 1, 10)
    assert body["totalPages"] == math.ceil(TOTAL_NODES / 10)
    assert len(body["nodes"]) == 10


@pytest.mark.parametrize("limit,pages", [(1, TOTAL_NODES), (7, 15), (52, 2), (100, 2), (35, 3)])
def test_total_pages_is_total_over_limit_rounded_up(client, catalogue, limit, pages):
    body = get_json(client, f"/nodes?limit={limit}")
    assert body["totalPages"] == pages
    assert body["limit"] == limit


@pytest.mark.parametrize("limit", [101, 500, 10**30])
def test_limit_above_100_is_served_as_100_and_echoed(client, catalogue, limit):
    body = get_json(client, f"/nodes?limit={limit}")
    assert body["limit"] == 100
    assert len(body["nodes"]) == 100
    assert body["totalPages"] == 2


@pytest.mark.parametrize("limit", ["0", "-1", "-500"])
def test_zero_or_negative_limit_selects_the_default(client, catalogue, limit):
    body = get_json(client, f"/nodes?limit={limit}")
    assert body["limit"] == 10
    assert len(body["nodes"]) == 10


def test_last_page_holds_the_remainder(client, catalogue):
    body = get_json(client, "/nodes?limit=100&page=2")
    assert len(body["nodes"]) == TOTAL_NODES - 100
    assert body["page"] == 2


def test_page_past_the_end_is_empty(client, catalogue):
    body = get_json(client, "/nodes?page=99")
    assert body["nodes"] == []
    assert (body["page"], body["total"]) == (99, TOTAL_NODES)


def test_walking_the_pages_sees_every_node_once_in_lower_cased_id_order(client, catalogue):
    seen = []
    first = get_json(client, "/nodes?limit=7")
    for page in range(1, first["totalPages"] + 1):
        seen += node_ids(get_json(client, f"/nodes?limit=7&page={page}"))
    assert len(seen) == len(set(seen)) == TOTAL_NODES
    assert seen == sorted(seen, key=str.lower)


def test_empty_mirror_has_no_pages(client):
    assert get_json(client, "/nodes") == {
        "total": 0,
        "nodes": [],
        "page": 1,
        "limit": 10,
        "totalPages": 0,
    }


# GET /nodes: filters


def test_node_id_filter_matches_any_case_and_repeats(client, catalogue):
    body = get_json(client, "/nodes?node_id=pack-one&node_id=PACK-TWO&node_id=missing")
    assert node_ids(body) == ["Pack-One", "pack-two"]
    assert body["total"] == 2


def test_timestamp_keeps_nodes_changed_after_it(client, runner, tmp_path, catalogue):
    mark = datetime.now(UTC)
    changed = dump(node("pack-two", version("0.2.0")), node("brand-new", version("1.0.0")))
    assert import_dump(runner, tmp_path, changed, name="later.json").exit_code == 0
    stamp = mark.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert node_ids(get_json(client, f"/nodes?timestamp={stamp}")) == ["brand-new", "pack-two"]
    later = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert get_json(client, f"/nodes?timestamp={later}")["total"] == 0


def test_timestamp_accepts_an_offset_even_with_an_unencoded_plus(client, catalogue):
    encoded = quote("2000-01-01T02:00:00+02:00")
    assert get_json(client, f"/nodes?timestamp={encoded}")["total"] == TOTAL_NODES
    # A bare '+' decodes as a space; the mirror reads it as the offset it was meant to be.
    assert get_json(client, "/nodes?timestamp=2000-01-01T02:00:00+02:00")["total"] == TOTAL_NODES


def test_banned_nodes_are_listed_by_default(client, catalogue):
    assert "banned-pack" in node_ids(get_json(client, "/nodes?limit=100"))
    assert "banned-pack" in node_ids(get_json(client, "/nodes?limit=100&include_banned=true"))


def test_include_banned_false_leaves_banned_nodes_out(client, catalogue):
    body = get_json(client, "/nodes?limit=100&include_banned=false")
    assert "banned-pack" not in node_ids(body)
    assert body["total"] == TOTAL_NODES - 1


def test_supported_os_keeps_nodes_declaring_it_or_declaring_nothing(client, catalogue):
    three = "/nodes?node_id=Pack-One&node_id=pack-two&node_id=no-latest"
    # pack-two is Linux only; no-latest declares nothing, so it restricts nothing.
    assert node_ids(get_json(client, three + "&supported_os=WINDOWS")) == ["no-latest", "Pack-One"]
    assert node_ids(get_json(client, three + "&supported_accelerator=rocm")) == [
        "no-latest",
        "pack-two",
    ]


def test_parameters_upstream_lists_but_the_mirror_ignores_are_accepted(client, catalogue):
    url = "/nodes?latest=true&sort=name;desc&comfyui_version=0.3.40&form_factor=git-windows"
    assert get_json(client, url)["total"] == TOTAL_NODES


# Node documents


def test_listed_node_embeds_its_full_publisher_and_latest_version(client, catalogue):
    [listed] = get_json(client, "/nodes?node_id=Pack-One")["nodes"]
    assert listed["publisher"] == CATALOGUE_PUBLISHER
    latest = get_json(client, "/nodes/Pack-One/versions/1.10.0")
    assert listed["latest_version"] == latest
    assert listed["name"] == "Pack One"
    assert listed["status"] == "NodeStatusActive"
    assert listed["created_at"] == "2024-04-01T00:00:00.000001Z"


def test_latest_version_is_the_highest_active_by_semver_precedence(client, catalogue):
    # 1.10.0 beats 1.9.0; Pending 2.0.0-beta.1 and Flagged 3.0.0 are not candidates.
    assert get_json(client, "/nodes/Pack-One")["latest_version"]["version"] == "1.10.0"


def test_node_without_publisher_or_latest_version_omits_both(client, catalogue):
    [listed] = get_json(client, "/nodes?node_id=no-latest")["nodes"]
    assert "publisher" not in listed
    assert "latest_version" not in listed
    assert None not in listed.values()


def test_lists_leave_translations_out(client, catalogue):
    [listed] = get_json(client, "/nodes?node_id=Pack-One")["nodes"]
    assert "translations" not in listed


# GET /nodes/search


@pytest.mark.parametrize(
    "term", ["PACK-TWO", "video helper", "100% faster", "jane roe", "Loads video"]
)
def test_search_matches_id_name_description_or_author_in_any_case(client, catalogue, term):
    assert node_ids(get_json(client, f"/nodes/search?search={quote(term)}")) == ["pack-two"]


def test_search_treats_wildcards_literally(client, catalogue):
    assert get_json(client, "/nodes/search?search=%25")["total"] == 1  # only "100% faster"
    assert get_json(client, "/nodes/search?search=_")["total"] == 0


def test_repository_url_search_matches_a_substring_of_the_repository(client, catalogue):
    body = get_json(client, "/nodes/search?repository_url_search=github.com/JANE")
    assert node_ids(body) == ["pack-two"]


def test_comfy_node_search_matches_preempted_comfy_node_names(client, catalogue):
    assert node_ids(get_json(client, "/nodes/search?comfy_node_search=ksampler")) == ["Pack-One"]


def test_search_pages_like_the_node_list(client, catalogue):
    body = get_json(client, "/nodes/search?search=filler&limit=30&page=4")
    assert (body["total"], body["limit"], body["page"], body["totalPages"]) == (100, 30, 4, 4)
    assert len(body["nodes"]) == 10


def test_search_include_banned(client, catalogue):
    assert node_ids(get_json(client, "/nodes/search?search=coins")) == ["banned-pack"]
    assert get_json(client, "/nodes/search?search=coins&include_banned=false")["total"] == 0


def test_search_without_terms_lists_every_node(client, catalogue):
    assert get_json(client, "/nodes/search")["total"] == TOTAL_NODES


# GET /nodes/{nodeId}


def test_get_node_sends_the_node_with_publisher_and_latest_version(client, catalogue):
    body = get_json(client, "/nodes/Pack-One")
    [listed] = get_json(client, "/nodes?node_id=Pack-One")["nodes"]
    assert body == listed


def test_mixed_case_id_redirects_to_the_published_id_keeping_the_query(client, catalogue):
    response = client.get("/nodes/pack-one?include_translations=true")
    assert response.status_code == 302
    assert response.headers["Location"] == "/nodes/Pack-One?include_translations=true"
    response = client.get("/nodes/PACK-ONE?nodeId=x&_external=1&a=%2F")
    assert response.headers["Location"] == "/nodes/Pack-One?nodeId=x&_external=1&a=%2F"
    followed = client.get("/nodes/PACK-ONE", follow_redirects=True)
    assert followed.status_code == 200
    assert followed.get_json()["id"] == "Pack-One"


def test_translations_only_when_asked(client, catalogue):
    assert "translations" not in get_json(client, "/nodes/Pack-One")
    assert "translations" not in get_json(client, "/nodes/Pack-One?include_translations=false")
    body = get_json(client, "/nodes/Pack-One?include_translations=true")
    assert body["translations"] == {"zh": {"name": "Pack One in Chinese"}}


# GET /nodes/{nodeId}/install


def test_install_without_version_sends_the_latest(client, catalogue):
    assert get_json(client, "/nodes/Pack-One/install") == get_json(
        client, "/nodes/Pack-One/versions/1.10.0"
    )


def test_install_with_version_sends_that_version(client, catalogue):
    body = get_json(client, "/nodes/Pack-One/install?version=1.9.0")
    assert body["version"] == "1.9.0"
    assert body["downloadUrl"].endswith("/Pack-One/1.9.0/node.zip")
    assert body["status_reason"] == ""


def test_install_accepts_a_pre_release_version(client, catalogue):
    assert get_json(client, "/nodes/Pack-One/install?version=2.0.0-beta.1")["version"] == (
        "2.0.0-beta.1"
    )


def test_install_resolves_any_case_directly(client, catalogue):
    assert get_json(client, "/nodes/PACK-ONE/install")["node_id"] == "Pack-One"


# GET /nodes/{nodeId}/versions and /nodes/{nodeId}/versions/{versionId}


def test_versions_come_newest_first_by_semver_precedence(client, catalogue):
    versions = get_json(client, "/nodes/Pack-One/versions")
    assert version_strings(versions) == PACK_ONE_NEWEST_FIRST


def test_versions_filter_by_repeated_statuses(client, catalogue):
    url = "/nodes/Pack-One/versions?statuses=NodeVersionStatusActive"
    assert version_strings(get_json(client, url)) == ["1.10.0", "1.9.0"]
    url += "&statuses=NodeVersionStatusPending"
    assert version_strings(get_json(client, url)) == ["2.0.0-beta.1", "1.10.0", "1.9.0"]


def test_versions_omit_status_reason_unless_asked(client, catalogue):
    assert all("status_reason" not in v for v in get_json(client, "/nodes/Pack-One/versions"))
    url = "/nodes/Pack-One/versions?include_status_reason=true"
    reasons = {v["version"]: v["status_reason"] for v in get_json(client, url)}
    assert reasons["1.2.0"] == "Malware FOUND"
    assert reasons["1.9.0"] == ""


def test_a_listed_version_is_the_stored_one_less_its_status_reason(client, catalogue):
    [listed] = get_json(client, "/nodes/Pack-One/versions?statuses=NodeVersionStatusFlagged")
    single = get_json(client, "/nodes/Pack-One/versions/3.0.0")
    assert single.pop("status_reason") == "Under review"
    assert listed == single


def test_get_node_version_matches_the_bulk_answer(client, catalogue):
    body = {"node_versions": [{"node_id": "Pack-One", "version": "1.9.0"}]}
    [result] = client.post("/bulk/nodes/versions", json=body).get_json()["node_versions"]
    assert get_json(client, "/nodes/pack-one/versions/1.9.0") == result["node_version"]


def test_versions_of_a_banned_node_are_still_served_one_by_one(client, catalogue):
    # Upstream documents no 403 for GetNodeVersion; the bulk endpoint serves them too.
    assert get_json(client, "/nodes/banned-pack/versions/1.0.0")["version"] == "1.0.0"


# GET /versions


def test_all_versions_default_page(client, catalogue):
    body = get_json(client, "/versions")
    assert set(body) == {"total", "versions", "page", "pageSize", "totalPages"}
    assert (body["total"], body["page"], body["pageSize"]) == (TOTAL_VERSIONS, 1, 10)
    assert body["totalPages"] == math.ceil(TOTAL_VERSIONS / 10)
    assert all("status_reason" not in v for v in body["versions"])


@pytest.mark.parametrize("size,served", [(500, 100), (0, 10), (-3, 10), (25, 25)])
def test_page_size_is_clamped_and_echoed(client, catalogue, size, served):
    body = get_json(client, f"/versions?pageSize={size}")
    assert body["pageSize"] == served
    assert len(body["versions"]) == served
    assert body["totalPages"] == math.ceil(TOTAL_VERSIONS / served)


def test_walking_all_versions_sees_each_once(client, catalogue):
    seen = []
    for page in range(1, math.ceil(TOTAL_VERSIONS / 30) + 1):
        seen += [
            v["id"] for v in get_json(client, f"/versions?pageSize=30&page={page}")["versions"]
        ]
    assert len(seen) == len(set(seen)) == TOTAL_VERSIONS


def test_all_versions_of_one_node_come_newest_first(client, catalogue):
    body = get_json(client, "/versions?nodeId=pack-one&pageSize=4&page=1")
    assert body["total"] == len(PACK_ONE_NEWEST_FIRST)
    assert version_strings(body["versions"]) == PACK_ONE_NEWEST_FIRST[:4]
    second = get_json(client, "/versions?nodeId=pack-one&pageSize=4&page=2")
    assert version_strings(second["versions"]) == PACK_ONE_NEWEST_FIRST[4:]


def test_all_versions_of_an_unknown_node_is_an_empty_page(client, catalogue):
    body = get_json(client, "/versions?nodeId=missing")
    assert (body["total"], body["versions"], body["totalPages"]) == (0, [], 0)


def test_all_versions_filter_by_statuses_and_status_reason(client, catalogue):
    url = "/versions?statuses=NodeVersionStatusBanned&statuses=NodeVersionStatusDeleted"
    assert sorted(version_strings(get_json(client, url)["versions"])) == ["1.1.0", "1.2.0"]
    url = "/versions?status_reason=malware&include_status_reason=true"
    [found] = get_json(client, url)["versions"]
    assert (found["version"], found["status_reason"]) == ("1.2.0", "Malware FOUND")


# GET /publishers/{publisherId}


def test_publisher_is_sent_whole(client, catalogue):
    assert get_json(client, "/publishers/pub-one") == CATALOGUE_PUBLISHER
    assert get_json(client, "/publishers/pub-two") == {"id": "pub-two", "name": "Publisher Two"}


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
