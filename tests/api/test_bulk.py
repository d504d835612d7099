"""POST /bulk/nodes/versions: what each requested pair is answered with."""

import pytest
from openapi_schema_validator import OAS30Validator

from tests.assertions import bulk_results
from tests.contract import seed_document, seed_schema
from tests.dumps import dump, import_dump, node, version

STATUSES = [
    "NodeVersionStatusActive",
    "NodeVersionStatusDeleted",
    "NodeVersionStatusBanned",
    "NodeVersionStatusPending",
    "NodeVersionStatusFlagged",
]

FULL_VERSION = {
    "id": "6f2c1a9e-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
    "changelog": "Fixes the sampler.\n\n" + "A long line of notes. " * 200,
    "createdAt": "2024-05-03T03:58:21.019461Z",
    "dependencies": ["opencv-python>=4.8", "numpy<2; python_version < '3.13'"],
    "deprecated": True,
    "downloadUrl": "https://storage.googleapis.com/comfy-registry/pub/Pack-One/1.2.0/node.zip",
    "status_reason": "",
    "comfy_node_extract_status": "success",
    "supported_comfyui_version": ">=0.3.0",
    "supported_comfyui_frontend_version": ">=1.10.0",
    "supported_os": ["Windows", "Linux"],
    "supported_accelerators": ["CUDA", "ROCm"],
    "tags": ["video"],
    "tags_admin": ["dev"],
}


@pytest.fixture
def mirrored(runner, tmp_path):
    """A mirror holding Pack-One (one version per status, one full) and a second pack."""
    versions = [version(f"1.{i}.0", status=status) for i, status in enumerate(STATUSES)]
    versions.append(version("1.9.0", **FULL_VERSION, status="NodeVersionStatusActive"))
    versions.append(version("2.0.0-RC1"))
    result = import_dump(
        runner, tmp_path, dump(node("Pack-One", *versions), node("pack-two", version("0.1.0")))
    )
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("index,status", list(enumerate(STATUSES)))
def test_mirrored_pair_succeeds_whatever_its_status(client, mirrored, index, status):
    [result] = bulk_results(client, ("Pack-One", f"1.{index}.0"))
    assert result["status"] == "success"
    assert result["node_version"]["status"] == status
    assert result["node_version"]["version"] == f"1.{index}.0"
    assert "error_message" not in result


def test_success_carries_every_field_as_upstream_serializes_it(client, mirrored):
    [result] = bulk_results(client, ("Pack-One", "1.9.0"))
    sent = result["node_version"]
    expected = {**FULL_VERSION, "node_id": "Pack-One", "version": "1.9.0"}
    expected["status"] = "NodeVersionStatusActive"
    assert sent == expected


def test_fields_match_the_seed_node_version_with_no_extra_keys(client, mirrored):
    results = bulk_results(
        client, *[("Pack-One", f"1.{i}.0") for i in range(5)], ("Pack-One", "1.9.0")
    )
    allowed = set(seed_schema("NodeVersion")["properties"])
    validator = OAS30Validator(seed_schema("BulkNodeVersionsResponse"))
    validator.validate({"node_versions": results})
    for result in results:
        assert set(result["node_version"]) <= allowed


def test_fields_without_a_value_are_omitted_not_null(client, mirrored):
    [result] = bulk_results(client, ("pack-two", "0.1.0"))
    sent = result["node_version"]
    assert None not in sent.values()
    # Upstream always sends these; a dump without them gets upstream's defaults.
    assert sent["changelog"] == ""
    assert sent["dependencies"] == []
    assert sent["deprecated"] is False
    assert sent["status"] == "NodeVersionStatusActive"
    assert sent["status_reason"] == ""
    for absent in ("createdAt", "downloadUrl", "supported_os", "tags", "tags_admin"):
        assert absent not in sent
    assert len(sent["id"]) == 36


def test_node_ids_match_case_insensitively_and_the_identifier_echoes_the_request(client, mirrored):
    results = bulk_results(
        client, ("pack-one", "1.9.0"), ("PACK-ONE", "1.9.0"), ("Pack-Two", "0.1.0")
    )
    assert [r["status"] for r in results] == ["success"] * 3
    assert results[0]["identifier"] == {"node_id": "pack-one", "version": "1.9.0"}
    assert results[1]["identifier"] == {"node_id": "PACK-ONE", "version": "1.9.0"}
    # The version itself names the node as published.
    assert results[0]["node_version"]["node_id"] == "Pack-One"
    assert results[2]["node_version"]["node_id"] == "pack-two"


def test_versions_match_exactly(client, mirrored):
    results = bulk_results(
        client, ("Pack-One", "2.0.0-RC1"), ("Pack-One", "2.0.0-rc1"), ("Pack-One", "1.9")
    )
    assert [r["status"] for r in results] == ["success", "not_found", "not_found"]


@pytest.mark.parametrize(
    "pair",
    [
        ("no-such-pack", "1.0.0"),
        ("Pack-One", "9.9.9"),
        ("pack-two", "1.9.0"),
        ("author/repo", "1.0.0"),
        ("comfyanonymous/ComfyUI_examples", "abc1234def5678abc1234def5678abc1234def56"),
        ("Pack-One/..", "1.9.0"),
        ("Pack-One", "1.9.0/../1.0.0"),
        ("Pack-One", "1.9.0\x00"),
    ],
)
def test_unmirrored_pair_is_not_found_with_no_version_or_error(client, mirrored, pair):
    [result] = bulk_results(client, pair)
    assert result == {"identifier": {"node_id": pair[0], "version": pair[1]}, "status": "not_found"}


@pytest.mark.parametrize(
    "pair,says",
    [
        (("", "1.0.0"), "node_id is empty"),
        (("Pack-One", ""), "version is empty"),
        (("", ""), "node_id is empty"),
        (("p" * 101, "1.0.0"), "longer than 100"),
        (("Pack-One", "1" * 256), "longer than 255"),
    ],
)
def test_pair_that_can_never_match_is_an_error_and_the_rest_is_answered(
    client, mirrored, pair, says
):
    results = bulk_results(client, ("Pack-One", "1.9.0"), pair, ("pack-two", "0.1.0"))
    assert [r["status"] for r in results] == ["success", "error", "success"]
    error = results[1]
    assert set(error) == {"identifier", "status", "error_message"}
    assert says in error["error_message"]
    assert error["identifier"] == {"node_id": pair[0], "version": pair[1]}


def test_results_follow_request_order_and_duplicates_are_answered_each_time(client, mirrored):
    pairs = [
        ("pack-two", "0.1.0"),
        ("Pack-One", "1.9.0"),
        ("missing", "1.0.0"),
        ("Pack-One", "1.9.0"),
        ("pack-two", "0.1.0"),
        ("Pack-One", ""),
        ("pack-two", "0.1.0"),
    ]
    results = bulk_results(client, *pairs)
    assert [(r["identifier"]["node_id"], r["identifier"]["version"]) for r in results] == pairs
    assert [r["status"] for r in results] == [
        "success",
        "success",
        "not_found",
        "success",
        "success",
        "error",
        "success",
    ]
    assert results[1] == results[3]


def test_empty_list_is_answered_with_an_empty_list(client, mirrored):
    assert bulk_results(client) == []


def test_empty_mirror_answers_not_found(client):
    assert bulk_results(client, ("Pack-One", "1.9.0"))[0]["status"] == "not_found"


def test_unknown_keys_in_the_request_are_ignored(client, mirrored):
    body = {
        "node_versions": [{"node_id": "pack-two", "version": "0.1.0", "extra": 1}],
        "client": "frontend",
    }
    response = client.post("/bulk/nodes/versions", json=body)
    assert response.status_code == 200
    [result] = response.get_json()["node_versions"]
    assert result["status"] == "success"
    assert result["identifier"] == {"node_id": "pack-two", "version": "0.1.0"}


def test_the_frontends_exact_body_is_answered(client, mirrored):
    # The frontend sends every installed pack: cnr ids, aux ids (author/repo), and '' versions.
    raw = (
        b'{"node_versions":[{"node_id":"Pack-One","version":"1.9.0"},'
        b'{"node_id":"kijai/ComfyUI-KJNodes","version":""},'
        b'{"node_id":"pack-two","version":"0.1.0"},'
        b'{"node_id":"comfyui-unknown","version":"3e0fb3a1b9a5c2d4e6f8a0b2c4d6e8f0a2b4c6d8"}]}'
    )
    response = client.post(
        "/bulk/nodes/versions", data=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    statuses = [r["status"] for r in response.get_json()["node_versions"]]
    assert statuses == ["success", "error", "success", "not_found"]


def test_response_validates_against_the_seed_contract(client, mirrored):
    document = seed_document()
    schema = document["components"]["schemas"]["BulkNodeVersionsResponse"]
    body = {
        "node_versions": bulk_results(
            client, ("Pack-One", "1.9.0"), ("missing", "1"), ("", "1"), ("pack-two", "0.1.0")
        )
    }
    OAS30Validator({**schema, "components": document["components"]}).validate(body)
