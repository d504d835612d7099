"""`flask mirror export`: a dump that imports into an empty mirror and answers exactly the same."""

import gzip
import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from extensions import db
from models import Node, NodeVersion
from tests.assertions import assert_same_answers
from tests.bundles import SEED_DUMP
from tests.dumps import comfy_node, comfy_nodes_dump, dump, node, version, write
from tests.mirrors import import_into

GZIP_MAGIC = b"\x1f\x8b"

LTDRDATA = {
    "id": "ltdrdata",
    "name": "Dr.Lt.Data",
    "description": "Impact and Inspire packs.",
    "website": "https://github.com/ltdrdata",
    "support": "https://github.com/ltdrdata/ComfyUI-Impact-Pack/issues",
    "source_code_repo": "https://github.com/ltdrdata",
    "logo": "https://avatars.githubusercontent.com/u/16313119?v=4",
    "createdAt": "2024-08-07T02:49:39.113149Z",
    "status": "PublisherStatusActive",
    "members": [{"id": "fcb042d9-5966-4b44-a0c6-774455113dc3", "role": "owner"}],
}


def every_field_version(number: str, **fields) -> dict:
    """A version carrying every upstream NodeVersion field."""
    return version(
        number,
        changelog="Fix ✓ ünïcode paths\non Windows.",
        createdAt="2024-05-03T05:58:21.019461789+02:00",
        dependencies=["torch>=2.1", "segment-anything"],
        deprecated=True,
        downloadUrl=f"https://storage.googleapis.com/comfy-registry/ltdrdata/pack/{number}/node.zip",
        status="NodeVersionStatusFlagged",
        status_reason="Flagged: " + "long reason " * 200,
        comfy_node_extract_status="success",
        supported_comfyui_version=">=0.3.0",
        supported_comfyui_frontend_version=">=1.10.0",
        supported_os=["linux", "windows"],
        supported_accelerators=["cuda", "rocm"],
        tags=["video"],
        tags_admin=["security-review"],
        **fields,
    )


def rich_dump() -> dict:
    """Nodes and versions covering every field, status, id form and publisher form."""
    return dump(
        node(
            "ComfyUI-Impact-Pack",
            every_field_version(
                "8.0.0",
                id="30c7a93c-d73a-4737-9e08-47006ace5222",
                comfy_nodes=[
                    *comfy_nodes_dump()["nodes"][0]["versions"][0]["comfy_nodes"],
                    comfy_node("SAMLoader", description="Loads ✓ ünïcode SAM"),
                ],
            ),
            version("8.0.0-rc.1", status="NodeVersionStatusPending"),
            version("7.10.0", createdAt="2024-01-01T00:00:00Z"),
            version("7.9.0", status="NodeVersionStatusDeleted", status_reason="withdrawn"),
            version("0f3c2a1b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a", changelog="nightly"),
            name="ComfyUI Impact Pack",
            description="Detailers and detectors.",
            author="Dr.Lt.Data",
            license="LICENSE",
            repository="https://github.com/ltdrdata/ComfyUI-Impact-Pack",
            icon="https://example.com/icon.png",
            banner_url="https://example.com/banner.png",
            category="image",
            tags=["detailer", "sam"],
            tags_admin=["popular"],
            downloads=1234567,
            github_stars=2500,
            rating=4.75,
            status="NodeStatusActive",
            status_detail="",
            publisher={"id": "ltdrdata"},
            supported_os=["linux"],
            supported_accelerators=["cuda"],
            supported_comfyui_version=">=0.3.0",
            supported_comfyui_frontend_version=">=1.10.0",
            translations={"ja": {"name": "インパクトパック"}},
            search_ranking=3,
            preempted_comfy_node_names=["SAMLoader"],
            created_at="2024-08-07T02:50:00.5Z",
        ),
        node(
            "was-node-suite-comfyui",
            version("1.0.0", status="NodeVersionStatusBanned", status_reason="malware"),
            status="NodeStatusBanned",
            publisher={"id": "was", "name": "WAS"},
        ),
        node("bare-node"),
        publishers=[LTDRDATA, {"id": "unused-publisher", "name": "Nobody"}],
    )


def export_from(app, path: Path) -> Path:
    """Run `flask mirror export` on an app and require success."""
    result = app.test_cli_runner().invoke(args=["mirror", "export", str(path)])
    assert result.exit_code == 0, result.output
    return path


def pairs_to_ask(app) -> list[dict]:
    """Every pair the mirror holds, as published and in other casings, plus pairs it lacks."""
    with app.app_context():
        query = sa.select(Node.id, NodeVersion.version).join(
            NodeVersion, NodeVersion.node_normalized_id == Node.normalized_id
        )
        held = sorted(db.session.execute(query).all())
    assert held, "the mirror under test holds no versions"
    asked = []
    for node_id, number in held:
        for casing in {node_id, node_id.lower(), node_id.upper()}:
            asked.append({"node_id": casing, "version": number})
    node_id, number = held[0]
    asked += [
        {"node_id": node_id, "version": "99.99.99"},
        {"node_id": node_id, "version": number.upper() + "-X"},
        {"node_id": "bare-node", "version": "1.0.0"},
        {"node_id": "never-mirrored", "version": "1.0.0"},
        {"node_id": "ltdrdata/ComfyUI-Impact-Pack", "version": "1.0.0"},
        {"node_id": node_id, "version": ""},
        {"node_id": "", "version": number},
    ]
    return asked


def assert_same_bulk_answers(original, reimported) -> None:
    """Both mirrors answer every pair (and the misses) with the very same bytes."""
    assert_same_answers(original, reimported, pairs_to_ask(original), b'"status":"success"')


def without_exported_at(raw: bytes) -> bytes:
    """A dump's bytes with its exported_at value blanked."""
    blanked, count = re.subn(rb'"exported_at": "[^"]*"', b'"exported_at": ""', raw)
    assert count == 1
    return blanked


def test_export_then_import_reproduces_every_bulk_response(app, empty_mirror, tmp_path):
    import_into(app, write(tmp_path / "rich.json", rich_dump()))
    update = dump(node("ComfyUI-Impact-Pack", version("8.1.0"), publisher={"id": "ltdrdata"}))
    import_into(app, write(tmp_path / "update.json", update))

    import_into(empty_mirror, export_from(app, tmp_path / "export.json"))

    assert_same_bulk_answers(app, empty_mirror)


def test_export_of_the_sample_seed_data_round_trips(app, empty_mirror, tmp_path):
    import_into(app, SEED_DUMP)

    import_into(empty_mirror, export_from(app, tmp_path / "export.json.gz"))

    assert_same_bulk_answers(app, empty_mirror)


def test_export_carries_each_version_as_the_api_serves_it(app, client, tmp_path):
    import_into(app, write(tmp_path / "rich.json", rich_dump()))
    exported = json.loads(export_from(app, tmp_path / "export.json").read_bytes())
    carried = [(entry["id"], item) for entry in exported["nodes"] for item in entry["versions"]]

    response = client.post(
        "/bulk/nodes/versions",
        json={
            "node_versions": [
                {"node_id": node_id, "version": item["version"]} for node_id, item in carried
            ]
        },
    )

    assert len(carried) == 6
    assert [result["node_version"] for result in response.json["node_versions"]] == [
        {key: value for key, value in item.items() if key != "comfy_nodes"} for _, item in carried
    ]


def test_export_carries_upstreams_node_classes_as_the_api_lists_them(app, client, tmp_path):
    import_into(app, write(tmp_path / "rich.json", rich_dump()))
    exported = json.loads(export_from(app, tmp_path / "export.json").read_bytes())
    carrying = [
        (entry["id"], item["version"], item["comfy_nodes"])
        for entry in exported["nodes"]
        for item in entry["versions"]
        if "comfy_nodes" in item
    ]
    [(node_id, number, classes)] = carrying
    listed = client.get(f"/nodes/{node_id}/versions/{number}/comfy-nodes?limit=100").json
    assert (number, classes) == ("8.0.0", listed["comfy_nodes"])


@pytest.mark.parametrize("name", ["export.json.gz", "nested/folder/export.json.gz"])
def test_export_to_json_gz_writes_gzip(app, tmp_path, name):
    import_into(app, write(tmp_path / "rich.json", rich_dump()))

    raw = export_from(app, tmp_path / name).read_bytes()

    assert raw[:2] == GZIP_MAGIC
    document = json.loads(gzip.decompress(raw))
    assert (document["format"], document["format_version"]) == ("comfy-registry-dump", 1)
    assert len(document["nodes"]) == 3


def test_export_to_json_writes_plain_json(app, tmp_path):
    import_into(app, write(tmp_path / "rich.json", rich_dump()))

    raw = export_from(app, tmp_path / "export.json").read_bytes()

    assert raw[:2] != GZIP_MAGIC
    assert json.loads(raw)["format"] == "comfy-registry-dump"


@pytest.mark.parametrize("source", ["rich", "seed"])
def test_second_export_of_the_reimported_mirror_equals_the_first(
    app, empty_mirror, tmp_path, source
):
    path = SEED_DUMP if source == "seed" else write(tmp_path / "rich.json", rich_dump())
    import_into(app, path)
    first = export_from(app, tmp_path / "first.json").read_bytes()
    import_into(empty_mirror, tmp_path / "first.json")

    second = export_from(empty_mirror, tmp_path / "second.json").read_bytes()

    assert without_exported_at(second) == without_exported_at(first)


def test_importing_an_export_into_its_own_mirror_changes_nothing(app, tmp_path):
    import_into(app, write(tmp_path / "rich.json", rich_dump()))

    output = import_into(app, export_from(app, tmp_path / "export.json"), options=("--replace",))

    assert "nothing changed" in output


def test_export_after_a_node_id_changed_case_imports_back(app, empty_mirror, tmp_path):
    import_into(app, write(tmp_path / "first.json", dump(node("Foo", version("1.0.0")))))
    import_into(app, write(tmp_path / "second.json", dump(node("foo", version("2.0.0")))))

    import_into(empty_mirror, export_from(app, tmp_path / "export.json"))

    assert_same_bulk_answers(app, empty_mirror)


def test_export_of_an_empty_mirror_imports_into_an_empty_mirror(app, empty_mirror, tmp_path):
    export = export_from(app, tmp_path / "export.json")

    assert json.loads(export.read_bytes())["nodes"] == []
    import_into(empty_mirror, export)
