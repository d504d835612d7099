"""Look-ups by ComfyUI node class: which pack provides one, and each version's classes."""

import pytest

from tests.assertions import assert_error, get_json
from tests.dumps import AWKWARD_NAMES, comfy_nodes_dump, imported

# The classes of pack-a 1.0.0, in the order they are listed.
PACK_A = sorted([*AWKWARD_NAMES, "Shares"])


@pytest.fixture
def index(app, runner, tmp_path):
    """A client of a mirror holding tests.dumps.comfy_nodes_dump()."""
    imported(runner, tmp_path, comfy_nodes_dump())
    return app.test_client()


def provider(client, name: str) -> str:
    """The id of the pack GET /comfy-nodes/{name}/node names (the name put in unencoded)."""
    return get_json(client, f"/comfy-nodes/{name}/node")["id"]


@pytest.mark.parametrize(
    "name,node_id",
    [
        ("Shares", "pack-a"),
        ("SHARES", "pack-a"),
        ("Tie", "pack-c"),
        ("Old Only", "pack-a"),
        ("Other", "pack-b"),
    ],
    ids=["latest-beats-downloads", "any-case", "tie-by-id", "older-version", "one-pack"],
)
def test_the_pack_providing_a_class_is_ranked(index, name, node_id):
    assert provider(index, name) == node_id


def test_the_pack_is_sent_as_get_node_sends_it(index):
    assert get_json(index, "/comfy-nodes/Other/node") == get_json(index, "/nodes/pack-b")


@pytest.mark.parametrize("name", AWKWARD_NAMES)
def test_names_arrive_unencoded(index, name):
    assert provider(index, name) == "pack-a"


def test_the_frontends_call_for_a_missing_class_is_a_404_naming_it(index):
    response = index.get("/comfy-nodes/Missing%20Node%20(Beta)/node")
    assert_error(response, 404, "'Missing Node (Beta)'")


@pytest.mark.parametrize("name", ["Banned Pack Only", "Banned Version Only"])
def test_banned_packs_and_versions_provide_nothing(index, name):
    assert_error(index.get(f"/comfy-nodes/{name}/node"), 404, repr(name))


def test_a_version_lists_its_classes_by_name(index):
    body = get_json(index, "/nodes/pack-a/versions/1.0.0/comfy-nodes?limit=100")
    names = [found["comfy_node_name"] for found in body["comfy_nodes"]]
    assert names == PACK_A
    assert body["totalNumberOfPages"] == 1


def test_every_field_of_a_class_is_served(index):
    body = get_json(index, "/nodes/pack-a/versions/1.0.0/comfy-nodes/KSampler Plus (Advanced)")
    expected = comfy_nodes_dump()["nodes"][0]["versions"][0]["comfy_nodes"][0]
    assert body == expected


@pytest.mark.parametrize(
    "query,names,pages",
    [
        ("limit=2", PACK_A[:2], 3),
        ("limit=2&page=3", PACK_A[4:], 3),
        ("limit=3&page=9", [], 2),
        ("limit=0", PACK_A, 1),
        ("limit=99999", PACK_A, 1),
    ],
)
def test_a_versions_classes_come_in_pages(index, query, names, pages):
    body = get_json(index, f"/nodes/pack-a/versions/1.0.0/comfy-nodes?{query}")
    assert [found["comfy_node_name"] for found in body["comfy_nodes"]] == names
    assert body["totalNumberOfPages"] == pages


def test_a_version_without_classes_lists_none(index):
    body = get_json(index, "/nodes/plain/versions/1.0.0/comfy-nodes")
    assert body == {"comfy_nodes": [], "totalNumberOfPages": 0}


@pytest.mark.parametrize(
    "url,phrase",
    [
        ("/nodes/nobody/versions/1.0.0/comfy-nodes", "'nobody'"),
        ("/nodes/pack-a/versions/9.9.9/comfy-nodes", "'9.9.9'"),
        ("/nodes/pack-a/versions/1.0.0/comfy-nodes/Nope", "'Nope'"),
        ("/nodes/pack-a/versions/1.0.0/comfy-nodes?page=0", "page"),
        ("/nodes/pack-a/versions/1.0.0/comfy-nodes?limit=many", "limit"),
    ],
)
def test_bad_version_look_ups_say_what_is_wrong(index, url, phrase):
    status = 400 if "?" in url else 404
    assert_error(index.get(url), status, phrase)


@pytest.mark.parametrize(
    "query,expected",
    [
        ("node_id=PACK-B", [("Banned Version Only",), ("shares",), ("Other",)]),
        ("node_id=pack-b&node_version=2.0.0", [("Other",)]),
        ("comfy_node_name=tie", [("Tie",), ("Tie",), ("Tie",)]),
        ("comfy_node_name=Image/Resize", [("Image/Resize",)]),
        ("node_version=0.9.0", [("Old Only",)]),
    ],
)
def test_all_classes_filter_by_node_version_and_name(index, query, expected):
    body = get_json(index, f"/comfy-nodes?{query}")
    assert [(found["comfy_node_name"],) for found in body["comfy_nodes"]] == expected
    assert (body["total"], body["page_size"]) == (len(expected), 100)


def test_all_classes_come_in_pages_of_at_most_100(index):
    first = get_json(index, "/comfy-nodes?pageSize=3")
    second = get_json(index, "/comfy-nodes?pageSize=3&page=2")
    every = get_json(index, "/comfy-nodes?pageSize=500")
    assert (first["page_size"], every["page_size"]) == (3, 100)
    assert first["comfy_nodes"] + second["comfy_nodes"] == every["comfy_nodes"][:6]
    assert every["total"] == len(every["comfy_nodes"]) == 13


@pytest.mark.parametrize(
    "term,node_ids",
    [("shar", ["pack-a"]), ("OTHER", ["pack-b"]), ("tie", ["banned-maker", "pack-c", "pack-d"])],
)
def test_search_by_class_finds_packs_whose_latest_version_provides_it(index, term, node_ids):
    body = get_json(index, f"/nodes/search?comfy_node_search={term}")
    assert [found["id"] for found in body["nodes"]] == node_ids


@pytest.mark.parametrize(
    "url",
    [
        "/comfy-nodes/Load%00Image/node",
        "/nodes/pack-a/versions/1.0.0/comfy-nodes/Load%1FImage",
        "/nodes/pack%00a/versions/1.0.0/comfy-nodes",
        "/nodes/pack%00a",
        "/publishers/maker%00/nodes",
    ],
)
def test_a_control_character_in_a_path_is_a_400_on_every_backend(index, url):
    assert_error(index.get(url), 400, "control character")
