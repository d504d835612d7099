"""CORS: the ComfyUI frontend calls the mirror cross-origin (preflight, then the request), and an
operator may restrict which origins are allowed."""

import pytest

from tests.bundles import write_bundle
from tests.dumps import dump, node, version
from tests.mirrors import import_into

COMFYUI = "http://127.0.0.1:8188"
ALLOWED = "http://allowed.test"
BULK_BODY = {"node_versions": [{"node_id": "pack", "version": "1.0.0"}]}


@pytest.fixture
def one_archived_version(app, tmp_path) -> None:
    """The app (allowing any origin, the default) holds one version with its archive."""
    import_into(app, write_bundle(tmp_path / "bundle", dump(node("pack", version("1.0.0")))))


def preflight(client, origin: str = COMFYUI):
    """The OPTIONS request a browser sends before the frontend's bulk POST."""
    return client.options(
        "/bulk/nodes/versions",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )


def listed(header: str | None) -> set[str]:
    """The lower-cased items of a comma-separated header."""
    return {item.strip().lower() for item in (header or "").split(",") if item.strip()}


def test_preflight_for_the_bulk_endpoint_allows_the_post(client, one_archived_version):
    response = preflight(client)

    assert response.status_code == 200
    assert response.headers.get("Access-Control-Allow-Origin") in ("*", COMFYUI)
    assert "post" in listed(response.headers.get("Access-Control-Allow-Methods"))
    assert "content-type" in listed(response.headers.get("Access-Control-Allow-Headers"))


REQUESTS = [
    pytest.param("POST", "/bulk/nodes/versions", BULK_BODY, 200, id="bulk"),
    pytest.param("POST", "/bulk/nodes/versions", {"node_versions": 5}, 400, id="bulk-400"),
    pytest.param("GET", "/health", None, 200, id="health"),
    pytest.param("GET", "/openapi.json", None, 200, id="openapi"),
    pytest.param("GET", "/nodes/pack", None, 200, id="node"),
    pytest.param("GET", "/archives/pack/1.0.0/node.zip", None, 200, id="archive"),
    pytest.param("HEAD", "/archives/pack/1.0.0/node.zip", None, 200, id="archive-head"),
    pytest.param("GET", "/archives/pack/9.9.9/node.zip", None, 404, id="archive-404"),
    pytest.param("GET", "/nodes/never-mirrored", None, 404, id="node-404"),
    pytest.param("GET", "/no/such/route", None, 404, id="route-404"),
]


@pytest.mark.parametrize(("method", "path", "body", "status"), REQUESTS)
def test_responses_carry_allow_origin(client, one_archived_version, method, path, body, status):
    response = client.open(path, method=method, json=body, headers={"Origin": COMFYUI})

    assert response.status_code == status
    assert response.headers.get("Access-Control-Allow-Origin") in ("*", COMFYUI)


@pytest.fixture(params=["config", "environment"])
def restricted(request, make_mirror, monkeypatch):
    """A client of a mirror allowing only ALLOWED, set in its config or MIRROR_CORS_ORIGINS."""
    if request.param == "environment":
        monkeypatch.setenv("MIRROR_CORS_ORIGINS", f"{ALLOWED}, http://also-allowed.test")
        config = {}
    else:
        config = {"CORS_ORIGINS": [ALLOWED]}
    return make_mirror(**config).test_client()


def test_preflight_from_an_origin_not_allowed_gets_no_allow_origin(restricted):
    response = preflight(restricted, COMFYUI)

    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize(("method", "path", "body", "status"), REQUESTS[:4])
def test_request_from_an_origin_not_allowed_gets_no_allow_origin(
    restricted, method, path, body, status
):
    response = restricted.open(path, method=method, json=body, headers={"Origin": COMFYUI})

    assert response.status_code == status
    assert "Access-Control-Allow-Origin" not in response.headers


def test_allowed_origin_is_answered_by_name(restricted):
    response = preflight(restricted, ALLOWED)

    assert response.headers.get("Access-Control-Allow-Origin") == ALLOWED
    assert "post" in listed(response.headers.get("Access-Control-Allow-Methods"))
