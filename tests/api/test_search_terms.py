"""Search terms with control characters are a 400 naming the parameter: SQLite ends a pattern at
a NUL, so `?search=%00` would otherwise match every node."""

import pytest

from tests.assertions import assert_error
from tests.dumps import catalogue_dump, import_dump


@pytest.fixture
def catalogue(runner, tmp_path):
    """A mirror holding tests.dumps.catalogue_dump()."""
    result = import_dump(runner, tmp_path, catalogue_dump())
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("url", "named"),
    [
        pytest.param("/nodes/search?search=%00", "search:", id="nul"),
        pytest.param("/nodes/search?search=video%00", "search:", id="nul-after-text"),
        pytest.param("/nodes/search?search=%01", "search:", id="c0-control"),
        pytest.param("/nodes/search?search=a%0Ab", "search:", id="newline"),
        pytest.param("/nodes/search?search=%7F", "search:", id="delete"),
        pytest.param("/nodes/search?search=%C2%9B", "search:", id="c1-control"),
        pytest.param(
            "/nodes/search?repository_url_search=%00", "repository_url_search:", id="repository"
        ),
        pytest.param(
            "/nodes/search?comfy_node_search=%00", "comfy_node_search:", id="comfy-node-name"
        ),
        pytest.param("/versions?status_reason=%00", "status_reason:", id="status-reason"),
    ],
)
def test_control_character_in_a_search_term_is_a_400_naming_it(client, catalogue, url, named):
    response = client.get(url)

    message = assert_error(response, 400, "Must not contain control characters.")
    assert message.startswith(named)


def test_search_term_without_control_characters_still_matches(client, catalogue):
    response = client.get("/nodes/search?search=video%20helper")

    assert response.status_code == 200
    assert [node["id"] for node in response.get_json()["nodes"]] == ["pack-two"]
