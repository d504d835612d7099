"""Assertions several test modules share, and the requests they check answers of."""

from urllib.parse import quote

import orjson


def assert_error(response, status: int, *phrases: str) -> str:
    """The response is an ErrorResponse with `status` whose message holds each phrase."""
    assert response.status_code == status, response.data
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error", "message"}
    assert all(isinstance(value, str) and value for value in body.values())
    for phrase in phrases:
        assert phrase in body["message"]
    return body["message"]


def get_json(client, url: str, status: int = 200):
    """GET `url`, assert its status, and return its JSON body."""
    response = client.get(url)
    assert response.status_code == status, response.data
    assert response.mimetype == "application/json"
    return response.get_json()


def bulk_results(client, *pairs: tuple[str, str]) -> list[dict]:
    """POST (node id, version) pairs to the bulk endpoint; its results in order (asserting 200)."""
    body = {"node_versions": [{"node_id": n, "version": v} for n, v in pairs]}
    response = client.post("/bulk/nodes/versions", json=body)
    assert response.status_code == 200, response.data
    assert response.mimetype == "application/json"
    return response.get_json()["node_versions"]


def served_version(client, node_id: str, number: str) -> dict | None:
    """The NodeVersion the bulk endpoint serves for a pair, or None when it answers not_found."""
    (result,) = bulk_results(client, (node_id, number))
    assert result["status"] in ("success", "not_found"), result
    return result.get("node_version")


def assert_same_bytes(original, reimported, url: str) -> bytes:
    """Both mirrors answer GET `url` with the same status and bytes; the body."""
    expected = original.test_client().get(url)
    actual = reimported.test_client().get(url)
    assert (actual.status_code, actual.data) == (expected.status_code, expected.data), (
        url,
        actual.data[:300],
        expected.data[:300],
    )
    return expected.data


def assert_same_comfy_node_bytes(original, reimported, pairs: list[dict]) -> None:
    """Both mirrors answer every comfy-nodes request about the pairs with the very same bytes."""
    names = set()
    for pair in pairs:
        if not pair["node_id"] or not pair["version"]:
            continue
        base = f"/nodes/{quote(pair['node_id'])}/versions/{quote(pair['version'])}/comfy-nodes"
        listed = orjson.loads(assert_same_bytes(original, reimported, base + "?limit=8192"))
        for comfy_node in listed.get("comfy_nodes", []):
            names.add(comfy_node["comfy_node_name"])
            assert_same_bytes(
                original, reimported, f"{base}/{quote(comfy_node['comfy_node_name'])}"
            )
    for name in sorted(names):
        assert_same_bytes(original, reimported, f"/comfy-nodes/{quote(name)}/node")
    page, pages = 1, 1
    while page <= pages:
        listed = orjson.loads(assert_same_bytes(original, reimported, f"/comfy-nodes?page={page}"))
        pages = -(-listed["total"] // listed["page_size"])
        page += 1


def assert_same_answers(original, reimported, pairs: list[dict], expected_part: bytes) -> None:
    """Both mirrors answer the bulk pairs, holding `expected_part`, and every comfy-nodes request
    about them with the very same bytes."""
    body = {"node_versions": pairs}
    expected = original.test_client().post("/bulk/nodes/versions", json=body)
    actual = reimported.test_client().post("/bulk/nodes/versions", json=body)
    assert expected.status_code == actual.status_code == 200
    assert expected_part in expected.data
    assert actual.data == expected.data
    assert_same_comfy_node_bytes(original, reimported, pairs)
