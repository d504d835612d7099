"""Forwarded headers on real gunicorn: no client header changes a URL the mirror emits unless
the mirror is told to trust a proxy, and then only through the X-Forwarded-* a proxy sets."""

import pytest

from tests.bundles import archive_bytes
from tests.http_wire import get, post_json, served_env
from tests.serving import gunicorn

pytestmark = pytest.mark.e2e

PAIR = ("pack-one", "1.0.0")
ARCHIVE_PATH = "/archives/pack-one/1.0.0/node.zip"

# Headers a trusted proxy does not use to speak for the client: ignored even from one.
NOT_FROM_A_PROXY = {
    "x-forwarded-ssl": {"X-Forwarded-Ssl": "on"},
    "x-forwarded-protocol": {"X-Forwarded-Protocol": "ssl"},
    "script-name": {"SCRIPT_NAME": "/evil"},
    "forwarded": {"Forwarded": "proto=https;host=evil.example"},
}
# Every header that could carry a scheme, host, port or path prefix: those gunicorn and
# Werkzeug read, and RFC 7239's Forwarded.
SPOOFED = {
    **NOT_FROM_A_PROXY,
    "x-forwarded-proto": {"X-Forwarded-Proto": "https"},
    "x-forwarded-host": {"X-Forwarded-Host": "evil.example"},
    "x-forwarded-port": {"X-Forwarded-Port": "8443"},
    "x-forwarded-prefix": {"X-Forwarded-Prefix": "/evil"},
}


def install_url(url: str, headers: dict) -> str:
    """The downloadUrl GET /nodes/{id}/install gives."""
    answer = get(url, f"/nodes/{PAIR[0]}/install", headers)
    assert answer.status == 200, answer.body
    return answer.json()["downloadUrl"]


def bulk_url(url: str, headers: dict) -> str:
    """The downloadUrl POST /bulk/nodes/versions gives."""
    asked = {"node_versions": [{"node_id": PAIR[0], "version": PAIR[1]}]}
    answer = post_json(url, "/bulk/nodes/versions", asked, headers)
    assert answer.status == 200, answer.body
    return answer.json()["node_versions"][0]["node_version"]["downloadUrl"]


def openapi_url(url: str, headers: dict) -> str:
    """The server URL GET /openapi.json gives, with the archive path appended to compare."""
    answer = get(url, "/openapi.json", headers)
    assert answer.status == 200, answer.body
    return answer.json()["servers"][0]["url"] + ARCHIVE_PATH


EMITTED = [
    pytest.param(install_url, id="install"),
    pytest.param(bulk_url, id="bulk"),
    pytest.param(openapi_url, id="openapi"),
]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The environment serving a mirror that holds one archive."""
    with served_env(tmp_path_factory.mktemp("forwarded"), {PAIR: archive_bytes(*PAIR)}) as env:
        yield env


@pytest.fixture(scope="module")
def untrusting(served):
    """The mirror on gunicorn with the default MIRROR_TRUSTED_PROXIES=0."""
    with gunicorn({**served, "MIRROR_TRUSTED_PROXIES": "0"}) as url:
        yield url


@pytest.fixture(scope="module")
def trusting(served):
    """The mirror on gunicorn behind one trusted proxy."""
    with gunicorn({**served, "MIRROR_TRUSTED_PROXIES": "1"}) as url:
        yield url


@pytest.mark.parametrize("emitted", EMITTED)
@pytest.mark.parametrize("headers", SPOOFED.values(), ids=SPOOFED.keys())
def test_no_client_header_changes_emitted_urls_without_trusted_proxies(
    untrusting, emitted, headers
):
    assert emitted(untrusting, headers) == untrusting + ARCHIVE_PATH


@pytest.mark.parametrize("emitted", EMITTED)
@pytest.mark.parametrize("headers", NOT_FROM_A_PROXY.values(), ids=NOT_FROM_A_PROXY.keys())
def test_only_x_forwarded_headers_change_emitted_urls_behind_a_trusted_proxy(
    trusting, emitted, headers
):
    assert emitted(trusting, headers) == trusting + ARCHIVE_PATH


@pytest.mark.parametrize("emitted", EMITTED)
def test_trusted_proxy_sets_scheme_host_and_prefix_of_emitted_urls(trusting, emitted):
    headers = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "registry.corp",
        "X-Forwarded-Prefix": "/comfy",
    }

    assert emitted(trusting, headers) == f"https://registry.corp/comfy{ARCHIVE_PATH}"
