"""Indexing at import: the node classes of each imported version are read from its archive,
inside the import's one transaction; upstream's classes win, unreadable packs are recorded as
"not indexed", and an unchanged re-import reads nothing again."""

from pathlib import Path

import sqlalchemy as sa

from extensions import db
from models import ComfyNodeIndex
from tests.assertions import assert_error, get_json
from tests.bundles import (
    SEED_DATA,
    import_into,
    run_import,
    sha256,
    table_contents,
    write_bundle,
)
from tests.dumps import comfy_node, dump, node, version
from tests.mirrors import assert_refused
from tests.packs import BOMB_PROBLEM, FILTERS_PACK, SERVED_FILTERS, bomb_bytes, pack_bytes

FILTERS = ("filters", "1.0.0")
INDEXED_LINE = "node classes read from archives: "


def filters_bundle(tmp_path: Path, name: str = "bundle", **archives: bytes) -> Path:
    """A bundle of the `filters` pack (1.0.0), with its archive or the ones given by version."""
    archives = archives or {"1.0.0": pack_bytes(tmp_path, FILTERS_PACK)}
    document = dump(node("filters", *(version(number) for number in archives)))
    contents = {("filters", number): raw for number, raw in archives.items()}
    return write_bundle(tmp_path / name, document, contents=contents)


def origins(app) -> list[tuple]:
    """Every version's index row: origin and problem."""
    with app.app_context():
        query = sa.select(ComfyNodeIndex.origin, ComfyNodeIndex.problem)
        return sorted((tuple(row) for row in db.session.execute(query)), key=str)


def test_an_imported_archive_tells_which_pack_provides_each_class(app, client, tmp_path):
    output = import_into(app, filters_bundle(tmp_path))

    assert f"{INDEXED_LINE}1 versions indexed, 2 node classes found, 0 not indexed" in output
    assert get_json(client, "/comfy-nodes/Blur Image/node")["id"] == "filters"
    assert get_json(client, "/comfy-nodes/Sharpen/node")["id"] == "filters"
    listed = get_json(client, "/nodes/filters/versions/1.0.0/comfy-nodes")["comfy_nodes"]
    assert listed == SERVED_FILTERS
    assert get_json(client, "/status")["comfy_nodes"] == {
        "upstream": 0,
        "extracted": 1,
        "not_indexed": 0,
        "pending": 0,
        "classes": 2,
    }


def test_a_hostile_archive_is_not_indexed_and_the_import_succeeds(app, client, tmp_path):
    bundle = filters_bundle(
        tmp_path, **{"1.0.0": pack_bytes(tmp_path, FILTERS_PACK), "2.0.0": bomb_bytes(tmp_path)}
    )
    output = import_into(app, bundle)

    assert "1 versions indexed, 2 node classes found, 1 not indexed" in output
    assert f"    1 {BOMB_PROBLEM}\n" in output
    assert origins(app) == [("extracted", BOMB_PROBLEM), ("extracted", None)]
    assert get_json(client, "/nodes/filters/versions/2.0.0/comfy-nodes")["comfy_nodes"] == []
    assert get_json(client, "/status")["comfy_nodes"]["not_indexed"] == 1
    verified = app.test_cli_runner().invoke(args=["mirror", "verify"])
    assert verified.exit_code == 0, verified.output
    assert (
        f"Archives whose node classes could not be read (1):\n  filters 2.0.0: {BOMB_PROBLEM}\n"
        in (verified.output)
    )
    assert "node classes of 1 versions (0 from upstream, 1 read from archives), 1 not indexed" in (
        verified.output
    )


def test_upstreams_classes_in_the_dump_win_over_the_archive(app, client, tmp_path):
    document = dump(node("filters", version("1.0.0", comfy_nodes=[comfy_node("Upstream Blur")])))
    contents = {FILTERS: pack_bytes(tmp_path, FILTERS_PACK)}
    output = import_into(app, write_bundle(tmp_path / "bundle", document, contents=contents))

    assert INDEXED_LINE not in output
    assert get_json(client, "/comfy-nodes/Upstream Blur/node")["id"] == "filters"
    assert_error(client.get("/comfy-nodes/Sharpen/node"), 404)
    assert origins(app) == [("upstream", None)]


def test_an_unchanged_reimport_reads_no_archive_again(app, tmp_path):
    bundle = filters_bundle(tmp_path)
    import_into(app, bundle)
    before = table_contents(app)["comfy_nodes"]

    again = import_into(app, bundle)

    assert INDEXED_LINE not in again
    assert "nothing changed" in again
    assert table_contents(app)["comfy_nodes"] == before


def test_a_version_given_another_archive_is_read_again(app, client, tmp_path):
    import_into(app, filters_bundle(tmp_path))
    sharpen_only = {
        **FILTERS_PACK,
        "__init__.py": "from .nodes import Sharpen\nNODE_CLASS_MAPPINGS = {'Sharpen': Sharpen}\n",
    }
    changed = filters_bundle(
        tmp_path, "changed", **{"1.0.0": pack_bytes(tmp_path, sharpen_only, "b.zip")}
    )

    output = import_into(app, changed)

    assert f"{INDEXED_LINE}1 versions indexed, 1 node classes found" in output
    assert_error(client.get("/comfy-nodes/Blur Image/node"), 404)
    assert get_json(client, "/comfy-nodes/Sharpen/node")["id"] == "filters"


def test_an_import_failing_after_indexing_leaves_no_classes_and_no_versions(app, client, tmp_path):
    raw = pack_bytes(tmp_path, FILTERS_PACK)
    bundle = filters_bundle(tmp_path, **{"1.0.0": raw})
    before = table_contents(app)
    # The archive's prefix folder taken by a file: storing it fails after the classes were written.
    archive_dir = Path(app.config["ARCHIVE_DIR"])
    archive_dir.mkdir(parents=True, exist_ok=True)
    (archive_dir / sha256(raw)[:2]).write_bytes(b"in the way")

    result = run_import(app, bundle)

    assert_refused(result, "Nothing was imported.")
    assert table_contents(app) == before
    (archive_dir / sha256(raw)[:2]).unlink()
    output = import_into(app, bundle)
    assert f"{INDEXED_LINE}1 versions indexed, 2 node classes found" in output


def test_the_seeded_mirror_answers_which_sample_pack_provides_a_class(app, client):
    output = import_into(app, SEED_DATA)

    assert f"{INDEXED_LINE}205 versions indexed, 205 node classes found, 0 not indexed" in output
    assert get_json(client, "/comfy-nodes/ComfyuiKjnodes/node")["id"] == "comfyui-kjnodes"
    listed = get_json(client, "/nodes/comfyui-kjnodes/versions/1.10.0/comfy-nodes")["comfy_nodes"]
    assert listed == [
        {
            "comfy_node_name": "ComfyuiKjnodes",
            "category": "sample/comfyui-kjnodes",
            "function": "run",
            "return_types": '["IMAGE"]',
        }
    ]
