"""The read API's refusals: bad query parameters (400), banned (403), unknown (404)."""

import pytest

from tests.assertions import assert_error


@pytest.mark.parametrize(
    "url,named",
    [
        ("/nodes?page=0", "page:"),
        ("/nodes?page=-1", "page:"),
        ("/nodes?page=abc", "page:"),
        ("/nodes?page=1.5", "page:"),
        ("/nodes?page=", "page:"),
        ("/nodes?page=99999999999999999999", "page:"),
        ("/nodes?limit=ten", "limit:"),
        ("/nodes?limit=2.5", "limit:"),
        ("/nodes?limit=1e3", "limit:"),
        ("/nodes?timestamp=yesterday", "timestamp:"),
        ("/nodes?timestamp=2024-01-01", "timestamp:"),
        ("/nodes?timestamp=2024-13-01T00:00:00Z", "timestamp:"),
        ("/nodes?timestamp=2024-01-01T00:00:00", "timestamp:"),
        ("/nodes?include_banned=maybe", "include_banned:"),
        ("/nodes?latest=often", "latest:"),
        ("/nodes/search?page=0", "page:"),
        ("/nodes/search?limit=x", "limit:"),
        ("/nodes/search?include_banned=perhaps", "include_banned:"),
        ("/nodes/Pack-One?include_translations=sometimes", "include_translations:"),
        ("/nodes/Pack-One/install?version=latest", "version:"),
        ("/nodes/Pack-One/install?version=1.0", "version:"),
        ("/nodes/Pack-One/install?version=v1.0.0", "version:"),
        ("/nodes/Pack-One/install?version=", "version:"),
        ("/nodes/Pack-One/install?version=1.0.0/../2.0.0", "version:"),
        ("/nodes/Pack-One/versions?statuses=Active", "statuses[0]: 'Active'"),
        (
            "/nodes/Pack-One/versions?statuses=NodeVersionStatusActive&statuses=bogus",
            "statuses[1]: 'bogus'",
        ),
        ("/nodes/Pack-One/versions?include_status_reason=2", "include_status_reason:"),
        ("/versions?page=0", "page:"),
        ("/versions?pageSize=abc", "pageSize:"),
        ("/versions?statuses=nodeversionstatusactive", "statuses[0]:"),
        ("/versions?include_status_reason=yes please", "include_status_reason:"),
    ],
)
def test_bad_query_parameter_is_a_400_naming_it(catalogue_client, url, named):
    response = catalogue_client.get(url)
    assert assert_error(response, 400, named).startswith(named)
    assert response.get_json()["error"] == "Bad Request"


def test_bad_status_names_every_choice(catalogue_client):
    message = assert_error(catalogue_client.get("/nodes/Pack-One/versions?statuses=x"), 400)
    for status in ("Active", "Deleted", "Banned", "Pending", "Flagged"):
        assert f"NodeVersionStatus{status}" in message


def test_query_parameters_are_checked_before_the_node_is_looked_up(catalogue_client):
    assert_error(catalogue_client.get("/nodes/missing/install?version=latest"), 400, "version:")


@pytest.mark.parametrize(
    "url",
    [
        "/nodes/missing",
        "/nodes/missing/install",
        "/nodes/missing/versions",
        "/nodes/missing/versions/1.0.0",
        "/nodes/" + "p" * 101,
    ],
)
def test_unknown_node_is_a_404(catalogue_client, url):
    assert_error(catalogue_client.get(url), 404, "not in this mirror")


def test_an_author_repo_id_is_no_route_and_a_404(catalogue_client):
    # The frontend's aux ids hold a "/", which WSGI decodes: no route matches, still JSON.
    assert_error(catalogue_client.get("/nodes/author%2Frepo"), 404)


@pytest.mark.parametrize(
    "url",
    [
        "/nodes/Pack-One/versions/9.9.9",
        "/nodes/Pack-One/versions/1.10",
        "/nodes/Pack-One/install?version=9.9.9",
    ],
)
def test_unknown_version_is_a_404(catalogue_client, url):
    assert_error(catalogue_client.get(url), 404, "no version")


def test_install_of_a_node_without_an_active_version_is_a_404(catalogue_client):
    assert_error(catalogue_client.get("/nodes/no-latest/install"), 404, "no active version")


@pytest.mark.parametrize(
    "url",
    [
        "/nodes/banned-pack",
        "/nodes/BANNED-PACK",
        "/nodes/banned-pack/install",
        "/nodes/banned-pack/install?version=1.0.0",
        "/nodes/banned-pack/versions",
        "/versions?nodeId=banned-pack",
    ],
)
def test_banned_node_is_a_403(catalogue_client, url):
    assert_error(catalogue_client.get(url), 403, "banned-pack", "banned")


def test_install_of_a_banned_version_is_a_403(catalogue_client):
    assert_error(
        catalogue_client.get("/nodes/Pack-One/install?version=1.2.0"), 403, "1.2.0", "banned"
    )


def test_unknown_publisher_is_a_404(catalogue_client):
    assert_error(catalogue_client.get("/publishers/nobody"), 404, "nobody")


def test_publisher_ids_match_exactly(catalogue_client):
    assert_error(catalogue_client.get("/publishers/PUB-ONE"), 404)


@pytest.mark.parametrize("url", ["/nodes", "/nodes/Pack-One", "/versions", "/publishers/pub-one"])
def test_writes_to_read_endpoints_are_a_405(catalogue_client, url):
    assert_error(catalogue_client.post(url, json={}), 405)
