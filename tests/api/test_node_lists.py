"""The read API's node lists: GET /nodes (pages, filters, the nodes it embeds) and /nodes/search."""

import math
from datetime import UTC, datetime
from urllib.parse import quote

import pytest

from tests.assertions import get_json
from tests.dumps import (
    CATALOGUE_PUBLISHER,
    FILLER_NODES,
    dump,
    import_dump,
    node,
    version,
)

TOTAL_NODES = FILLER_NODES + 4
TOTAL_VERSIONS = FILLER_NODES + 9
PACK_ONE_NEWEST_FIRST = ["3.0.0", "2.0.0-beta.1", "1.10.0", "1.9.0", "1.2.0", "1.1.0"]


def node_ids(body: dict) -> list[str]:
    return [listed["id"] for listed in body["nodes"]]


# GET /nodes: pages


def test_nodes_default_to_page_1_of_10(catalogue_client):
    body = get_json(catalogue_client, "/nodes")
    assert set(body) == {"total", "nodes", "page", "limit", "totalPages"}
    assert (body["total"], body["page"], body["limit"]) == (TOTAL_NODES, 1, 10)
    assert body["totalPages"] == math.ceil(TOTAL_NODES / 10)
    assert len(body["nodes"]) == 10


@pytest.mark.parametrize("limit,pages", [(1, TOTAL_NODES), (7, 15), (52, 2), (100, 2), (35, 3)])
def test_total_pages_is_total_over_limit_rounded_up(catalogue_client, limit, pages):
    body = get_json(catalogue_client, f"/nodes?limit={limit}")
    assert body["totalPages"] == pages
    assert body["limit"] == limit


@pytest.mark.parametrize("limit", [101, 500, 10**30])
def test_limit_above_100_is_served_as_100_and_echoed(catalogue_client, limit):
    body = get_json(catalogue_client, f"/nodes?limit={limit}")
    assert body["limit"] == 100
    assert len(body["nodes"]) == 100
    assert body["totalPages"] == 2


@pytest.mark.parametrize("limit", ["0", "-1", "-500"])
def test_zero_or_negative_limit_selects_the_default(catalogue_client, limit):
    body = get_json(catalogue_client, f"/nodes?limit={limit}")
    assert body["limit"] == 10
    assert len(body["nodes"]) == 10


def test_last_page_holds_the_remainder(catalogue_client):
    body = get_json(catalogue_client, "/nodes?limit=100&page=2")
    assert len(body["nodes"]) == TOTAL_NODES - 100
    assert body["page"] == 2


def test_page_past_the_end_is_empty(catalogue_client):
    body = get_json(catalogue_client, "/nodes?page=99")
    assert body["nodes"] == []
    assert (body["page"], body["total"]) == (99, TOTAL_NODES)


def test_walking_the_pages_sees_every_node_once_in_lower_cased_id_order(catalogue_client):
    seen = []
    first = get_json(catalogue_client, "/nodes?limit=7")
    for page in range(1, first["totalPages"] + 1):
        seen += node_ids(get_json(catalogue_client, f"/nodes?limit=7&page={page}"))
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


def test_node_id_filter_matches_any_case_and_repeats(catalogue_client):
    body = get_json(catalogue_client, "/nodes?node_id=pack-one&node_id=PACK-TWO&node_id=missing")
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


def test_timestamp_accepts_an_offset_even_with_an_unencoded_plus(catalogue_client):
    encoded = quote("2000-01-01T02:00:00+02:00")
    assert get_json(catalogue_client, f"/nodes?timestamp={encoded}")["total"] == TOTAL_NODES
    # A bare '+' decodes as a space; the mirror reads it as the offset it was meant to be.
    assert (
        get_json(catalogue_client, "/nodes?timestamp=2000-01-01T02:00:00+02:00")["total"]
        == TOTAL_NODES
    )


def test_banned_nodes_are_listed_by_default(catalogue_client):
    assert "banned-pack" in node_ids(get_json(catalogue_client, "/nodes?limit=100"))
    assert "banned-pack" in node_ids(
        get_json(catalogue_client, "/nodes?limit=100&include_banned=true")
    )


def test_include_banned_false_leaves_banned_nodes_out(catalogue_client):
    body = get_json(catalogue_client, "/nodes?limit=100&include_banned=false")
    assert "banned-pack" not in node_ids(body)
    assert body["total"] == TOTAL_NODES - 1


def test_supported_os_keeps_nodes_declaring_it_or_declaring_nothing(catalogue_client):
    three = "/nodes?node_id=Pack-One&node_id=pack-two&node_id=no-latest"
    # pack-two is Linux only; no-latest declares nothing, so it restricts nothing.
    assert node_ids(get_json(catalogue_client, three + "&supported_os=WINDOWS")) == [
        "no-latest",
        "Pack-One",
    ]
    assert node_ids(get_json(catalogue_client, three + "&supported_accelerator=rocm")) == [
        "no-latest",
        "pack-two",
    ]


def test_parameters_upstream_lists_but_the_mirror_ignores_are_accepted(catalogue_client):
    url = "/nodes?latest=true&sort=name;desc&comfyui_version=0.3.40&form_factor=git-windows"
    assert get_json(catalogue_client, url)["total"] == TOTAL_NODES


# Node documents


def test_listed_node_embeds_its_full_publisher_and_latest_version(catalogue_client):
    [listed] = get_json(catalogue_client, "/nodes?node_id=Pack-One")["nodes"]
    assert listed["publisher"] == CATALOGUE_PUBLISHER
    latest = get_json(catalogue_client, "/nodes/Pack-One/versions/1.10.0")
    assert listed["latest_version"] == latest
    assert listed["name"] == "Pack One"
    assert listed["status"] == "NodeStatusActive"
    assert listed["created_at"] == "2024-04-01T00:00:00.000001Z"


def test_latest_version_is_the_highest_active_by_semver_precedence(catalogue_client):
    # 1.10.0 beats 1.9.0; Pending 2.0.0-beta.1 and Flagged 3.0.0 are not candidates.
    assert get_json(catalogue_client, "/nodes/Pack-One")["latest_version"]["version"] == "1.10.0"


def test_node_without_publisher_or_latest_version_omits_both(catalogue_client):
    [listed] = get_json(catalogue_client, "/nodes?node_id=no-latest")["nodes"]
    assert "publisher" not in listed
    assert "latest_version" not in listed
    assert None not in listed.values()


def test_lists_leave_translations_out(catalogue_client):
    [listed] = get_json(catalogue_client, "/nodes?node_id=Pack-One")["nodes"]
    assert "translations" not in listed


# GET /nodes/search


@pytest.mark.parametrize(
    "term", ["PACK-TWO", "video helper", "100% faster", "jane roe", "Loads video"]
)
def test_search_matches_id_name_description_or_author_in_any_case(catalogue_client, term):
    assert node_ids(get_json(catalogue_client, f"/nodes/search?search={quote(term)}")) == [
        "pack-two"
    ]


@pytest.mark.parametrize(("term", "found"), [("ÜBER-PACK", ["uber"]), ("über-pack", [])])
def test_search_folds_only_ascii_letters_on_every_backend(app, runner, tmp_path, term, found):
    # SQLite's lower() folds A-Z only; PostgreSQL is held to the same rule, so both answer alike.
    assert import_dump(runner, tmp_path, dump(node("uber", name="Über-Pack"))).exit_code == 0
    client = app.test_client()
    assert node_ids(get_json(client, f"/nodes/search?search={quote(term)}")) == found


def test_search_treats_wildcards_literally(catalogue_client):
    assert (
        get_json(catalogue_client, "/nodes/search?search=%25")["total"] == 1
    )  # only "100% faster"
    assert get_json(catalogue_client, "/nodes/search?search=_")["total"] == 0


def test_repository_url_search_matches_a_substring_of_the_repository(catalogue_client):
    body = get_json(catalogue_client, "/nodes/search?repository_url_search=github.com/JANE")
    assert node_ids(body) == ["pack-two"]


def test_comfy_node_search_matches_preempted_comfy_node_names(catalogue_client):
    assert node_ids(get_json(catalogue_client, "/nodes/search?comfy_node_search=ksampler")) == [
        "Pack-One"
    ]


def test_search_pages_like_the_node_list(catalogue_client):
    body = get_json(catalogue_client, "/nodes/search?search=filler&limit=30&page=4")
    assert (body["total"], body["limit"], body["page"], body["totalPages"]) == (100, 30, 4, 4)
    assert len(body["nodes"]) == 10


def test_search_include_banned(catalogue_client):
    assert node_ids(get_json(catalogue_client, "/nodes/search?search=coins")) == ["banned-pack"]
    assert (
        get_json(catalogue_client, "/nodes/search?search=coins&include_banned=false")["total"] == 0
    )


def test_search_without_terms_lists_every_node(catalogue_client):
    assert get_json(catalogue_client, "/nodes/search")["total"] == TOTAL_NODES
