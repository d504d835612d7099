"""The publishers' read endpoints: the list, and each publisher's nodes (first 10, and pages)."""

import pytest

from tests.assertions import assert_error, get_json
from tests.dumps import dump, imported, node, version


def ids(nodes: list[dict]) -> list[str]:
    return [found["id"] for found in nodes]


def test_every_publisher_is_listed_by_id_as_get_publisher_sends_it(catalogue_client):
    listed = get_json(catalogue_client, "/publishers")
    assert [publisher["id"] for publisher in listed] == ["pub-one", "pub-two"]
    assert listed[0] == get_json(catalogue_client, "/publishers/pub-one")


@pytest.mark.parametrize(
    "query,expected",
    [
        ("", ["banned-pack", "pack-two"]),
        ("?include_banned=true", ["banned-pack", "pack-two"]),
        ("?include_banned=false", ["pack-two"]),
    ],
)
def test_a_publishers_nodes_include_banned_ones_unless_told(catalogue_client, query, expected):
    assert ids(get_json(catalogue_client, f"/publishers/pub-two/nodes{query}")) == expected


def test_a_publishers_nodes_are_sent_as_get_node_sends_them(catalogue_client):
    [listed] = get_json(catalogue_client, "/publishers/pub-one/nodes")
    assert listed == get_json(catalogue_client, "/nodes/Pack-One")


def test_an_unknown_publisher_has_no_nodes(catalogue_client):
    assert get_json(catalogue_client, "/publishers/nobody/nodes") == []
    body = get_json(catalogue_client, "/publishers/nobody/nodes/v2")
    assert (body["nodes"], body["total"], body["totalPages"]) == ([], 0, 0)


def test_the_first_list_holds_at_most_10_nodes_and_v2_pages_them_all(runner, client, tmp_path):
    packs = [node(f"pack-{index:02d}", version("1.0.0")) for index in range(12)]
    for pack in packs:
        pack["publisher"] = {"id": "busy"}
    imported(runner, tmp_path, dump(*packs, publishers=[{"id": "busy", "name": "Busy"}]))
    assert ids(get_json(client, "/publishers/busy/nodes")) == [f"pack-{i:02d}" for i in range(10)]
    second = get_json(client, "/publishers/busy/nodes/v2?limit=5&page=3")
    assert ids(second["nodes"]) == ["pack-10", "pack-11"]
    assert {key: second[key] for key in ("total", "page", "limit", "totalPages")} == {
        "total": 12,
        "page": 3,
        "limit": 5,
        "totalPages": 3,
    }


@pytest.mark.parametrize(
    "query,served,expected",
    [
        ("?limit=1&page=2", 1, ["pack-two"]),
        ("?limit=500", 100, ["banned-pack", "pack-two"]),
        ("?limit=0&include_banned=false", 10, ["pack-two"]),
    ],
)
def test_v2_pages_a_publishers_nodes(catalogue_client, query, served, expected):
    body = get_json(catalogue_client, f"/publishers/pub-two/nodes/v2{query}")
    assert (ids(body["nodes"]), body["limit"]) == (expected, served)


@pytest.mark.parametrize(
    "url,phrase",
    [
        ("/publishers/pub-two/nodes?include_banned=maybe", "include_banned"),
        ("/publishers/pub-two/nodes/v2?page=0", "page"),
        ("/publishers/pub-two/nodes/v2?limit=ten", "limit"),
    ],
)
def test_bad_parameters_are_named(catalogue_client, url, phrase):
    assert_error(catalogue_client.get(url), 400, phrase)
