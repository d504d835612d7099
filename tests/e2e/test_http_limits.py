"""Request size limits on real gunicorn: requests within them are served, a query string past
the app's limit gets a JSON 414 naming it, and past gunicorn's own limits gunicorn answers."""

from contextlib import ExitStack

import pytest

from tests.bundles import archive_bytes
from tests.http_wire import get, served_env
from tests.serving import gunicorn

pytestmark = pytest.mark.e2e

SETTINGS = {
    "default": {},
    "raised": {
        "MIRROR_MAX_QUERY_BYTES": "7000",
        "MIRROR_MAX_HEADERS": "200",
        "MIRROR_MAX_HEADER_BYTES": "16384",
    },
    "lowered": {
        "MIRROR_MAX_REQUEST_LINE": "2000",
        "MIRROR_MAX_QUERY_BYTES": "1000",
        "MIRROR_MAX_HEADERS": "20",
        "MIRROR_MAX_HEADER_BYTES": "1000",
    },
}


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """The mirror on gunicorn once per entry of SETTINGS: name -> URL."""
    pair = ("pack-one", "1.0.0")
    with ExitStack() as stack:
        env = stack.enter_context(
            served_env(tmp_path_factory.mktemp("limits"), {pair: archive_bytes(*pair)})
        )
        yield {
            name: stack.enter_context(gunicorn({**env, **settings}))
            for name, settings in SETTINGS.items()
        }


def search_of(query_bytes: int) -> str:
    """A search whose query string is `query_bytes` long."""
    return "/nodes/search?search=" + "a" * (query_bytes - len("search="))


def many_headers(count: int) -> dict:
    """`count` small headers (http.client adds Host and Accept-Encoding)."""
    return {f"X-Filler-{index}": "x" for index in range(count)}


def long_header(size: int) -> dict:
    """One header whose name and value together are about `size` bytes."""
    return {"X-Filler": "x" * (size - len("X-Filler: "))}


@pytest.mark.parametrize(
    ("settings", "target", "headers"),
    [
        pytest.param("default", search_of(4096), {}, id="query-at-the-limit"),
        pytest.param("default", "/nodes", many_headers(90), id="ninety-headers"),
        pytest.param("default", "/nodes", long_header(8000), id="header-of-8000-bytes"),
        pytest.param("raised", search_of(7000), {}, id="raised-query-limit"),
        pytest.param("raised", "/nodes", many_headers(150), id="raised-header-count"),
        pytest.param("raised", "/nodes", long_header(12000), id="raised-header-size"),
    ],
)
def test_request_within_the_limits_is_served(servers, settings, target, headers):
    answer = get(servers[settings], target, headers)

    assert answer.status == 200, answer.body[:300]
    assert "nodes" in answer.json()


@pytest.mark.parametrize(
    ("settings", "query_bytes", "limit"),
    [
        pytest.param("default", 4097, 4096, id="one-byte-over"),
        pytest.param("default", 5000, 4096, id="five-thousand"),
        pytest.param("default", 8000, 4096, id="near-the-request-line-limit"),
        pytest.param("raised", 7001, 7000, id="raised"),
        pytest.param("lowered", 1001, 1000, id="lowered"),
    ],
)
def test_query_string_over_the_limit_gets_a_json_414_naming_it(
    servers, settings, query_bytes, limit
):
    answer = get(servers[settings], search_of(query_bytes))

    assert answer.status == 414
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.json()["error"] == "Request URI Too Long"
    message = answer.json()["message"]
    assert f"{query_bytes} bytes" in message
    assert f"at most {limit}" in message
    assert "MIRROR_MAX_QUERY_BYTES" in message


@pytest.mark.parametrize(
    ("settings", "target", "headers", "status"),
    [
        pytest.param("default", search_of(8200), {}, 414, id="request-line"),
        pytest.param("default", "/nodes", many_headers(150), 431, id="header-count"),
        pytest.param("default", "/nodes", long_header(9000), 431, id="header-size"),
        pytest.param("lowered", search_of(2100), {}, 414, id="lowered-request-line"),
        pytest.param("lowered", "/nodes", many_headers(30), 431, id="lowered-header-count"),
        pytest.param("lowered", "/nodes", long_header(1100), 431, id="lowered-header-size"),
    ],
)
def test_request_past_gunicorns_limits_is_refused_by_gunicorn(
    servers, settings, target, headers, status
):
    answer = get(servers[settings], target, headers)

    assert answer.status == status
