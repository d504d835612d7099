"""The app's own limit on query strings (MIRROR_MAX_QUERY_BYTES): a JSON 414 on every path,
documented on every GET operation of the OpenAPI document."""

import pytest

LIMIT = 4096


def query_of(size: int) -> str:
    """A query string of exactly `size` bytes."""
    return "q=" + "a" * (size - len("q="))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("GET", "/nodes", id="list"),
        pytest.param("GET", "/nodes/search", id="search"),
        pytest.param("GET", "/nodes/never-mirrored", id="unknown-node"),
        pytest.param("GET", "/no/such/path", id="unknown-path"),
        pytest.param("HEAD", "/archives/pack/1.0.0/node.zip", id="archive-head"),
        pytest.param("POST", "/bulk/nodes/versions", id="bulk"),
    ],
)
def test_query_string_over_the_limit_gets_a_json_414_on_every_path(client, method, path):
    response = client.open(f"{path}?{query_of(LIMIT + 1)}", method=method)

    assert response.status_code == 414
    assert response.mimetype == "application/json"
    if method != "HEAD":
        assert response.json == {
            "error": "Request URI Too Long",
            "message": f"The query string is {LIMIT + 1} bytes; this mirror answers at most "
            f"{LIMIT} (MIRROR_MAX_QUERY_BYTES).",
        }


def test_query_string_at_the_limit_is_answered(client):
    response = client.get(f"/nodes/search?{query_of(LIMIT)}")

    assert response.status_code == 200


def test_limit_counts_the_query_string_as_sent_percent_encoded(client):
    encoded = "q=" + "%41" * ((LIMIT - 1) // 3)

    response = client.get(f"/nodes/search?{encoded}")

    assert len(encoded) > LIMIT
    assert response.status_code == 414


def test_every_get_operation_documents_the_414(client):
    document = client.get("/openapi.json").get_json()
    ref = "#/components/responses/QueryTooLong"

    operations = [path for path, item in document["paths"].items() if "get" in item]
    assert len(operations) > 5
    for path in operations:
        assert document["paths"][path]["get"]["responses"]["414"] == {"$ref": ref}, path
    described = document["components"]["responses"]["QueryTooLong"]
    assert described["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorResponse"
    }
