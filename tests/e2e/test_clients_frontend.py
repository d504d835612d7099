"""End to end: the ComfyUI frontend's registry calls, cross-origin, against real gunicorn.

The browser app on the ComfyUI page (http://127.0.0.1:8188) is the only caller of
POST /bulk/nodes/versions: one request with every installed pack, `node_id` = cnr_id or aux_id
(`author/repo` for git installs) and `version` = the installed version or "" (a commit hash for
nightly installs). Being cross-origin with a JSON body, the browser sends a CORS preflight first.
"""

import http.client
import json
import urllib.parse

import pytest

from tests.clients import seed_version

ORIGIN = "http://127.0.0.1:8188"

# (node_id, version) as the frontend sends them for the packs of one ComfyUI install, with the
# status each gets back.
INSTALLED_PACKS = [
    ("rgthree-comfy", "1.5.0", "success"),
    ("comfyui-kjnodes", "1.10.0", "success"),
    ("comfyui-videohelpersuite", "3.3.0", "success"),  # the registry id is ComfyUI-Video...
    ("comfyui-florence2", "1.1.0", "success"),  # Flagged: the frontend reads the status
    ("lumen_tiled.upscale", "0.4.0", "success"),  # Banned version
    ("comfyui-free-gpu-boost", "0.6.3", "success"),  # version of a banned node
    ("comfyui-impact-pack", "4b5c2f1e9d0a7b3c6e8f1a2d4c5b6e7f8a9b0c1d", "not_found"),  # nightly
    ("comfyui-kjnodes", "9.9.9", "not_found"),
    ("comfyui-not-in-this-registry", "1.0.0", "not_found"),
    ("kijai/ComfyUI-some-git-pack", "", "error"),  # aux id, no version
    ("rgthree-comfy", "1.5.0", "success"),  # duplicates are answered each time
]


def request(served, method: str, path: str, headers: dict, body: bytes | None = None):
    """One HTTP request on its own connection, as a browser would send it; (response, body)."""
    address = urllib.parse.urlsplit(served.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response, response.read()
    finally:
        connection.close()


def assert_allows_origin(response) -> None:
    """The browser lets the page read the response: its origin (or any) is allowed."""
    allowed = response.getheader("Access-Control-Allow-Origin")
    assert allowed in ("*", ORIGIN), response.getheaders()
    if allowed == ORIGIN:
        assert "origin" in response.getheader("Vary", "").lower()


def test_bulk_preflight_allows_the_comfyui_page_to_post_json(seeded_server):
    response, _ = request(
        seeded_server,
        "OPTIONS",
        "/bulk/nodes/versions",
        {
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status in (200, 204)
    assert_allows_origin(response)
    methods = response.getheader("Access-Control-Allow-Methods", "")
    assert "POST" in [method.strip() for method in methods.split(",")]
    headers = response.getheader("Access-Control-Allow-Headers", "").lower()
    assert "content-type" in [header.strip() for header in headers.split(",")]


def test_bulk_answers_the_frontends_body_item_by_item(seeded_server):
    body = {"node_versions": [{"node_id": n, "version": v} for n, v, _ in INSTALLED_PACKS]}
    response, raw = request(
        seeded_server,
        "POST",
        "/bulk/nodes/versions",
        {"Origin": ORIGIN, "Content-Type": "application/json"},
        json.dumps(body).encode(),
    )
    assert response.status == 200, raw
    assert_allows_origin(response)
    assert response.getheader("Content-Type").startswith("application/json")
    results = json.loads(raw)["node_versions"]
    # The frontend matches results back by identifier.node_id: each echoes what was sent.
    assert [result["identifier"] for result in results] == body["node_versions"]
    assert [result["status"] for result in results] == [s for _, _, s in INSTALLED_PACKS]
    for (node_id, version, status), result in zip(INSTALLED_PACKS, results, strict=True):
        if status == "success":
            found = result["node_version"]
            assert found["node_id"].lower() == node_id.lower()
            assert found["version"] == version
            assert found["status"] == seed_version(found["node_id"], version)["status"]
        else:
            assert "node_version" not in result
        assert ("error_message" in result) == (status == "error")


@pytest.mark.parametrize(
    "path",
    [
        "/nodes?node_id=comfyui-kjnodes&node_id=rgthree-comfy",
        "/nodes/search?search=kjnodes",
        "/nodes/comfyui-kjnodes",
        "/nodes/comfyui-kjnodes/versions",
        "/nodes/comfyui-kjnodes/versions/1.10.0",
        "/nodes/comfyui-kjnodes/versions/1.10.0/comfy-nodes?page=1&limit=256",
        "/comfy-nodes/ComfyuiKjnodes/node",
        "/publishers/kijai",
        "/publishers/kijai/nodes?include_banned=true",
    ],
)
def test_the_frontends_reads_answer_cross_origin(seeded_server, path):
    response, raw = request(seeded_server, "GET", path, {"Origin": ORIGIN})
    assert response.status == 200, raw
    assert_allows_origin(response)
    json.loads(raw)


# What the frontend asks on every page load (its axios client sends a JSON Content-Type even on
# this GET, so the browser sends a preflight first).
RELEASES_AT_STARTUP = "/releases?project=comfyui&current_version=0.3.64&form_factor=other&locale=en"


def test_the_startup_release_notes_call_answers_cross_origin_after_its_preflight(seeded_server):
    preflight, _ = request(
        seeded_server,
        "OPTIONS",
        RELEASES_AT_STARTUP,
        {
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status in (200, 204)
    assert_allows_origin(preflight)
    headers = preflight.getheader("Access-Control-Allow-Headers", "").lower()
    assert "content-type" in [header.strip() for header in headers.split(",")]

    response, raw = request(
        seeded_server,
        "GET",
        RELEASES_AT_STARTUP,
        {"Origin": ORIGIN, "Content-Type": "application/json"},
    )
    # The sample bundle carries no release notes: none to show, and no error in the console.
    assert (response.status, json.loads(raw)) == (200, [])
    assert_allows_origin(response)


@pytest.mark.parametrize(
    "path,name",
    [
        # As the browser sends a class name put into the path: a space as %20, the rest as is.
        ("/comfy-nodes/Missing%20Node%20(Beta)/node", "Missing Node (Beta)"),
        ("/comfy-nodes/Add+Mul|Div/node", "Add+Mul|Div"),
        ("/comfy-nodes/Image/Resize/node/node", "Image/Resize/node"),
    ],
)
def test_a_missing_class_is_a_json_404_naming_it_cross_origin(seeded_server, path, name):
    response, raw = request(seeded_server, "GET", path, {"Origin": ORIGIN})
    assert response.status == 404, raw
    assert_allows_origin(response)
    assert repr(name) in json.loads(raw)["message"]
