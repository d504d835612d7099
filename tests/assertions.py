"""Assertions several test modules share, and the requests they check answers of."""


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


def assert_same_bulk_bytes(original, reimported, pairs: list[dict], expected_part: bytes) -> None:
    """Both mirrors answer the bulk pairs with the very same bytes, holding `expected_part`."""
    body = {"node_versions": pairs}
    expected = original.test_client().post("/bulk/nodes/versions", json=body)
    actual = reimported.test_client().post("/bulk/nodes/versions", json=body)
    assert expected.status_code == actual.status_code == 200
    assert expected_part in expected.data
    assert actual.data == expected.data
