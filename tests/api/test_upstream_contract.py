"""The read API against the upstream OpenAPI document that ships in the comfy-cli package.

Each real response must be one upstream lists for its operation, and its body must validate
against upstream's schema for that operation and status. The document is read from the
INSTALLED comfy-cli (pinned in requirements-clients.txt), never copied into the project.
"""

import importlib.util
import json
from functools import cache
from pathlib import Path

import pytest
from openapi_schema_validator import OAS30Validator

SPEC_IN_PACKAGE = ("command", "generate", "spec", "openapi.yml")

# (operationId, upstream path, URL asked, status expected)
CASES = [
    ("ListAllNodes", "/nodes", "/nodes", 200),
    ("ListAllNodes", "/nodes", "/nodes?limit=500&page=2", 200),
    ("ListAllNodes", "/nodes", "/nodes?node_id=Pack-One&node_id=no-latest", 200),
    ("ListAllNodes", "/nodes", "/nodes?page=0", 400),
    ("SearchNodes", "/nodes/search", "/nodes/search?search=pack", 200),
    ("SearchNodes", "/nodes/search", "/nodes/search?limit=oops", 400),
    ("GetNode", "/nodes/{nodeId}", "/nodes/Pack-One", 200),
    ("GetNode", "/nodes/{nodeId}", "/nodes/Pack-One?include_translations=true", 200),
    ("GetNode", "/nodes/{nodeId}", "/nodes/no-latest", 200),
    ("GetNode", "/nodes/{nodeId}", "/nodes/pack-one", 302),
    ("GetNode", "/nodes/{nodeId}", "/nodes/banned-pack", 403),
    ("GetNode", "/nodes/{nodeId}", "/nodes/missing", 404),
    ("InstallNode", "/nodes/{nodeId}/install", "/nodes/Pack-One/install", 200),
    ("InstallNode", "/nodes/{nodeId}/install", "/nodes/Pack-One/install?version=1.9.0", 200),
    ("InstallNode", "/nodes/{nodeId}/install", "/nodes/Pack-One/install?version=x", 400),
    ("InstallNode", "/nodes/{nodeId}/install", "/nodes/banned-pack/install", 403),
    ("InstallNode", "/nodes/{nodeId}/install", "/nodes/no-latest/install", 404),
    ("ListNodeVersions", "/nodes/{nodeId}/versions", "/nodes/Pack-One/versions", 200),
    (
        "ListNodeVersions",
        "/nodes/{nodeId}/versions",
        "/nodes/Pack-One/versions?include_status_reason=true&statuses=NodeVersionStatusBanned",
        200,
    ),
    ("ListNodeVersions", "/nodes/{nodeId}/versions", "/nodes/banned-pack/versions", 403),
    ("ListNodeVersions", "/nodes/{nodeId}/versions", "/nodes/missing/versions", 404),
    (
        "GetNodeVersion",
        "/nodes/{nodeId}/versions/{versionId}",
        "/nodes/Pack-One/versions/1.9.0",
        200,
    ),
    (
        "GetNodeVersion",
        "/nodes/{nodeId}/versions/{versionId}",
        "/nodes/Pack-One/versions/9.9.9",
        404,
    ),
    ("ListAllNodeVersions", "/versions", "/versions", 200),
    ("ListAllNodeVersions", "/versions", "/versions?nodeId=Pack-One&pageSize=500", 200),
    ("ListAllNodeVersions", "/versions", "/versions?include_status_reason=true", 200),
    ("ListAllNodeVersions", "/versions", "/versions?pageSize=big", 400),
    ("ListAllNodeVersions", "/versions", "/versions?nodeId=banned-pack", 403),
    ("GetPublisher", "/publishers/{publisherId}", "/publishers/pub-one", 200),
    ("GetPublisher", "/publishers/{publisherId}", "/publishers/nobody", 404),
    ("GetReleaseNotes", "/releases", "/releases?project=comfyui&current_version=0.3.64", 200),
    ("GetReleaseNotes", "/releases", "/releases?project=nodes", 400),
    ("ListPublishers", "/publishers", "/publishers", 200),
    ("ListNodesForPublisher", "/publishers/{publisherId}/nodes", "/publishers/pub-two/nodes", 200),
    (
        "ListNodesForPublisher",
        "/publishers/{publisherId}/nodes",
        "/publishers/pub-two/nodes?include_banned=maybe",
        400,
    ),
    (
        "ListNodesForPublisherV2",
        "/publishers/{publisherId}/nodes/v2",
        "/publishers/pub-two/nodes/v2?limit=1&include_banned=false",
        200,
    ),
    (
        "ListNodesForPublisherV2",
        "/publishers/{publisherId}/nodes/v2",
        "/publishers/pub-two/nodes/v2?page=0",
        400,
    ),
    (
        "GetNodeByComfyNodeName",
        "/comfy-nodes/{comfyNodeName}/node",
        "/comfy-nodes/KSampler Plus (Tiled)/node",
        200,
    ),
    ("GetNodeByComfyNodeName", "/comfy-nodes/{comfyNodeName}/node", "/comfy-nodes/No/node", 404),
    (
        "ListComfyNodes",
        "/nodes/{nodeId}/versions/{version}/comfy-nodes",
        "/nodes/Pack-One/versions/1.10.0/comfy-nodes?limit=1",
        200,
    ),
    (
        "ListComfyNodes",
        "/nodes/{nodeId}/versions/{version}/comfy-nodes",
        "/nodes/Pack-One/versions/9.9.9/comfy-nodes",
        404,
    ),
    (
        "GetComfyNode",
        "/nodes/{nodeId}/versions/{version}/comfy-nodes/{comfyNodeName}",
        "/nodes/Pack-One/versions/1.10.0/comfy-nodes/KSamplerPlus",
        200,
    ),
    (
        "GetComfyNode",
        "/nodes/{nodeId}/versions/{version}/comfy-nodes/{comfyNodeName}",
        "/nodes/Pack-One/versions/1.10.0/comfy-nodes/Nothing",
        404,
    ),
    ("ListAllComfyNodes", "/comfy-nodes", "/comfy-nodes?node_id=pack-one", 200),
    ("ListAllComfyNodes", "/comfy-nodes", "/comfy-nodes?page=0", 400),
]
OPERATIONS = sorted({(operation, path) for operation, path, _, _ in CASES})


@cache
def upstream_document() -> dict:
    """The upstream OpenAPI document (JSON text despite its name) from the installed comfy-cli."""
    spec = importlib.util.find_spec("comfy_cli")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail(
            "comfy-cli is not installed, and its OpenAPI document is this test's oracle: "
            "install the client requirements (see requirements-clients.txt's header): "
            "`.venv/bin/pip install --no-deps -r requirements-clients.txt`.",
            pytrace=False,
        )
    path = Path(next(iter(spec.submodule_search_locations)), *SPEC_IN_PACKAGE)
    return json.loads(path.read_text(encoding="utf-8"))


def upstream_operation(path: str, operation_id: str) -> dict:
    """The GET operation at `path`, checked to be the one named `operation_id`."""
    operation = upstream_document()["paths"][path]["get"]
    assert operation["operationId"] == operation_id
    return operation


def validate_upstream(schema: dict, body) -> None:
    """Validate `body` against an upstream schema, resolving $refs in upstream's components."""
    document = upstream_document()
    OAS30Validator({**schema, "components": document["components"]}).validate(body)


def assert_known_keys(body, schema_name: str) -> None:
    """Every key of an object (or of each in a list) is a property of upstream's schema."""
    properties = set(upstream_document()["components"]["schemas"][schema_name]["properties"])
    for item in body if isinstance(body, list) else [body]:
        assert set(item) <= properties, set(item) - properties


@pytest.mark.parametrize("operation_id,path,url,status", CASES)
def test_response_is_one_upstream_documents(catalogue_client, operation_id, path, url, status):
    operation = upstream_operation(path, operation_id)
    response = catalogue_client.get(url)
    assert response.status_code == status, response.data
    documented = operation["responses"][str(status)]
    if status == 302:
        assert all(name in response.headers for name in documented["headers"])
        return
    content = documented.get("content")
    if content is None:
        # Upstream declares no body (ListAllNodes' 400): the mirror's is its ErrorResponse.
        assert set(response.get_json()) == {"error", "message"}
        return
    validate_upstream(content["application/json"]["schema"], response.get_json())


@pytest.mark.parametrize(
    "url,key,schema_name",
    [
        ("/nodes?limit=100", "nodes", "Node"),
        ("/nodes/search?search=pack", "nodes", "Node"),
        ("/nodes/Pack-One?include_translations=true", None, "Node"),
        ("/nodes/Pack-One/versions?include_status_reason=true", None, "NodeVersion"),
        ("/nodes/Pack-One/install", None, "NodeVersion"),
        ("/versions?pageSize=100", "versions", "NodeVersion"),
        ("/publishers/pub-one", None, "Publisher"),
        ("/publishers", None, "Publisher"),
        ("/publishers/pub-two/nodes", None, "Node"),
        ("/publishers/pub-two/nodes/v2", "nodes", "Node"),
        ("/comfy-nodes/KSamplerPlus/node", None, "Node"),
        ("/comfy-nodes", "comfy_nodes", "ComfyNode"),
        ("/nodes/Pack-One/versions/1.10.0/comfy-nodes", "comfy_nodes", "ComfyNode"),
        ("/nodes/Pack-One/versions/1.10.0/comfy-nodes/KSamplerPlus", None, "ComfyNode"),
    ],
)
def test_bodies_carry_no_key_upstream_lacks(catalogue_client, url, key, schema_name):
    body = catalogue_client.get(url).get_json()
    assert_known_keys(body[key] if key else body, schema_name)
    if schema_name == "Node":
        nodes = body[key] if key else [body]
        assert_known_keys(
            [n["latest_version"] for n in nodes if "latest_version" in n], "NodeVersion"
        )
        assert_known_keys([n["publisher"] for n in nodes if "publisher" in n], "Publisher")


@pytest.mark.parametrize("operation_id,path", OPERATIONS)
def test_every_upstream_parameter_is_accepted_and_documented(client, operation_id, path):
    upstream = upstream_operation(path, operation_id).get("parameters", [])
    ours = client.get("/openapi.json").get_json()["paths"][path]["get"]
    assert ours["operationId"] == operation_id
    assert {param["name"] for param in upstream} <= {
        param["name"] for param in ours.get("parameters", [])
    }


@pytest.mark.parametrize("operation_id,path", OPERATIONS)
def test_every_status_the_mirror_documents_is_one_upstream_documents(client, operation_id, path):
    theirs = set(upstream_operation(path, operation_id)["responses"])
    ours = client.get("/openapi.json").get_json()["paths"][path]["get"]["responses"]
    # The mirror's additions where upstream lists none: 400 for a malformed query parameter,
    # 414 for a query string over MIRROR_MAX_QUERY_BYTES.
    assert set(ours) - {"400", "414"} <= theirs
