"""`flask mirror import` and `flask mirror seed`: what a good dump does to the mirror.

Refused dumps are in test_import_validation.py; export round trips in test_export.py.
"""

import itertools
import json
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

import services.imports.writer
from app import create_app
from extensions import db
from models import ImportRecord, Node, NodeVersion, Publisher
from tests.dumps import dump, import_dump, node, version, write

SEED_DUMP = Path(__file__).resolve().parent.parent / "seed_data" / "sample-registry.json"
NOTHING_CHANGED = "nothing changed"


def imported(runner, tmp_path, document, *options, name="dump.json") -> str:
    """Import one dump, require success, and return the command's output."""
    result = import_dump(runner, tmp_path, document, *options, name=name)
    assert result.exit_code == 0, result.output
    return result.output


def counts(output: str, kind: str) -> str:
    """The summary's counts for `kind` (publishers, nodes, versions, unknown keys ignored)."""
    for line in output.splitlines():
        label, _, rest = line.strip().partition(": ")
        if label == kind:
            return rest
    raise AssertionError(f"no {kind!r} line in the summary:\n{output}")


def bulk(client, *pairs: tuple[str, str]) -> list[dict]:
    """Ask the bulk endpoint for (node id, version) pairs; the results in order."""
    response = client.post(
        "/bulk/nodes/versions",
        json={"node_versions": [{"node_id": n, "version": v} for n, v in pairs]},
    )
    assert response.status_code == 200, response.data
    return response.json["node_versions"]


def served(client, node_id: str, number: str) -> dict | None:
    """The NodeVersion the API serves for a pair, or None when it answers not_found."""
    (result,) = bulk(client, (node_id, number))
    assert result["status"] in ("success", "not_found"), result
    return result.get("node_version")


def mirrored_pairs(app) -> set[tuple[str, str]]:
    """Every (normalized node id, version) the mirror stores."""
    with app.app_context():
        query = sa.select(NodeVersion.node_normalized_id, NodeVersion.version)
        return {tuple(row) for row in db.session.execute(query)}


def node_ids(app) -> set[str]:
    """The published ids of every mirrored node."""
    with app.app_context():
        return set(db.session.execute(sa.select(Node.id)).scalars())


def stored_version_id(app, node_key: str, number: str) -> str:
    """The id the mirror stores for one pair."""
    with app.app_context():
        return db.session.execute(
            sa.select(NodeVersion.id).where(
                NodeVersion.node_normalized_id == node_key, NodeVersion.version == number
            )
        ).scalar_one()


def data_tables(app) -> dict[str, list[tuple]]:
    """Every row of the publishers, nodes and versions tables, in primary-key order."""
    contents = {}
    with app.app_context():
        for model in (Publisher, Node, NodeVersion):
            table = model.__table__
            query = sa.select(table).order_by(*table.primary_key.columns)
            contents[table.name] = [tuple(row) for row in db.session.execute(query)]
    return contents


def import_records(app) -> int:
    """How many imports the mirror has recorded."""
    with app.app_context():
        return db.session.execute(sa.select(sa.func.count()).select_from(ImportRecord)).scalar()


LTDRDATA = {
    "id": "ltdrdata",
    "name": "Dr.Lt.Data",
    "website": "https://github.com/ltdrdata",
    "createdAt": "2024-08-07T02:49:39.113149Z",
    "status": "PublisherStatusActive",
    "members": [{"id": "fcb042d9-5966-4b44-a0c6-774455113dc3", "role": "owner"}],
}


def two_nodes() -> dict:
    """A small dump: a published node with two versions and a bare one with one version."""
    return dump(
        node(
            "comfyui-impact-pack",
            version(
                "8.0.0",
                changelog="Detailer rewrite.",
                createdAt="2025-01-02T03:04:05.678901Z",
                dependencies=["segment-anything"],
                deprecated=False,
                downloadUrl="https://storage.googleapis.com/comfy-registry/ltdrdata/x/8.0.0/node.zip",
                status="NodeVersionStatusActive",
                status_reason="",
            ),
            version("7.4.0", status="NodeVersionStatusDeleted"),
            name="ComfyUI Impact Pack",
            downloads=1200,
            rating=4.5,
            created_at="2024-08-07T02:50:00Z",
            publisher={"id": "ltdrdata"},
        ),
        node("rgthree-comfy", version("1.0.0")),
        publishers=[LTDRDATA],
    )


def test_merge_import_adds_nodes_and_versions_and_says_so(app, runner, client, tmp_path):
    output = imported(runner, tmp_path, two_nodes())

    assert counts(output, "publishers") == "1 added, 0 updated, 0 unchanged, 0 removed"
    assert counts(output, "nodes") == "2 added, 0 updated, 0 unchanged, 0 removed"
    assert counts(output, "versions") == "3 added, 0 updated, 0 unchanged, 0 removed"
    assert NOTHING_CHANGED not in output
    assert mirrored_pairs(app) == {
        ("comfyui-impact-pack", "8.0.0"),
        ("comfyui-impact-pack", "7.4.0"),
        ("rgthree-comfy", "1.0.0"),
    }
    assert served(client, "comfyui-impact-pack", "8.0.0")["changelog"] == "Detailer rewrite."


def test_importing_the_same_dump_twice_changes_nothing_the_second_time(app, runner, tmp_path):
    imported(runner, tmp_path, two_nodes())
    before = data_tables(app)

    output = imported(runner, tmp_path, two_nodes())

    assert counts(output, "publishers") == "0 added, 0 updated, 1 unchanged, 0 removed"
    assert counts(output, "nodes") == "0 added, 0 updated, 2 unchanged, 0 removed"
    assert counts(output, "versions") == "0 added, 0 updated, 3 unchanged, 0 removed"
    assert NOTHING_CHANGED in output
    assert data_tables(app) == before


def test_reimporting_the_sample_seed_data_changes_nothing(app, runner):
    first = runner.invoke(args=["mirror", "import", str(SEED_DUMP)])
    assert first.exit_code == 0, first.output
    before = data_tables(app)

    second = runner.invoke(args=["mirror", "import", str(SEED_DUMP)])

    assert second.exit_code == 0, second.output
    assert NOTHING_CHANGED in second.output
    assert data_tables(app) == before


def test_merge_updates_a_changed_version_field(app, runner, client, tmp_path):
    imported(runner, tmp_path, dump(node("a", version("1.0.0", changelog="old"), version("2.0.0"))))

    output = imported(
        runner, tmp_path, dump(node("a", version("1.0.0", changelog="new"), version("2.0.0")))
    )

    assert counts(output, "versions") == "0 added, 1 updated, 1 unchanged, 0 removed"
    assert served(client, "a", "1.0.0")["changelog"] == "new"


def test_merge_updates_a_changed_node_field(app, runner, tmp_path):
    imported(runner, tmp_path, dump(node("a", version("1.0.0"), downloads=10), node("b")))

    output = imported(runner, tmp_path, dump(node("a", version("1.0.0"), downloads=11), node("b")))

    assert counts(output, "nodes") == "0 added, 1 updated, 1 unchanged, 0 removed"
    assert counts(output, "versions") == "0 added, 0 updated, 1 unchanged, 0 removed"
    with app.app_context():
        assert db.session.execute(sa.select(Node.downloads).where(Node.id == "a")).scalar() == 11


def test_merge_keeps_nodes_and_versions_absent_from_the_dump(app, runner, client, tmp_path):
    imported(
        runner,
        tmp_path,
        dump(node("a", version("1.0.0"), version("2.0.0")), node("b", version("1.0.0"))),
    )

    output = imported(runner, tmp_path, dump(node("a", version("2.0.0"))))

    assert counts(output, "nodes") == "0 added, 0 updated, 1 unchanged, 0 removed"
    assert counts(output, "versions") == "0 added, 0 updated, 1 unchanged, 0 removed"
    assert mirrored_pairs(app) == {("a", "1.0.0"), ("a", "2.0.0"), ("b", "1.0.0")}
    assert served(client, "a", "1.0.0") is not None
    assert served(client, "b", "1.0.0") is not None


def test_replace_removes_nodes_and_versions_absent_from_the_dumps(app, runner, client, tmp_path):
    imported(
        runner,
        tmp_path,
        dump(
            node("a", version("1.0.0"), version("2.0.0")),
            node("b", version("1.0.0"), version("1.1.0")),
        ),
    )

    output = imported(
        runner,
        tmp_path,
        dump(node("a", version("2.0.0")), node("c", version("1.0.0"))),
        "--replace",
    )

    assert counts(output, "nodes") == "1 added, 1 updated, 0 unchanged, 1 removed"
    assert counts(output, "versions") == "1 added, 0 updated, 1 unchanged, 3 removed"
    assert node_ids(app) == {"a", "c"}
    assert mirrored_pairs(app) == {("a", "2.0.0"), ("c", "1.0.0")}
    assert served(client, "a", "1.0.0") is None
    assert served(client, "b", "1.0.0") is None


def test_replace_removes_publishers_absent_from_the_dumps(app, runner, tmp_path):
    kijai = {"id": "kijai", "name": "Kijai"}
    imported(
        runner,
        tmp_path,
        dump(node("a", publisher={"id": "ltdrdata"}), publishers=[LTDRDATA, kijai]),
    )

    output = imported(runner, tmp_path, dump(node("a"), publishers=[kijai]), "--replace")

    assert counts(output, "publishers") == "0 added, 0 updated, 1 unchanged, 1 removed"
    with app.app_context():
        assert set(db.session.execute(sa.select(Publisher.id)).scalars()) == {"kijai"}


@pytest.mark.parametrize(
    ("name", "compress"),
    [
        ("dump.json", True),
        ("dump.json.gz", True),
        ("dump", True),
        ("dump.json.gz", False),
    ],
    ids=["gzip-named-json", "gzip-named-gz", "gzip-without-suffix", "plain-named-gz"],
)
def test_dump_is_read_by_its_content_whatever_its_suffix(app, runner, tmp_path, name, compress):
    path = write(tmp_path / name, dump(node("a", version("1.0.0"))), compress=compress)

    result = runner.invoke(args=["mirror", "import", str(path)])

    assert result.exit_code == 0, result.output
    assert mirrored_pairs(app) == {("a", "1.0.0")}


def test_folder_of_dumps_imports_as_one_in_name_order(app, runner, client, tmp_path):
    folder = tmp_path / "dumps"
    folder.mkdir()
    write(folder / "01-first.json", dump(node("a", version("1.0.0", changelog="first")), node("b")))
    write(
        folder / "02-second.json.gz",
        dump(node("a", version("1.0.0", changelog="second"))),
        compress=True,
    )
    (folder / "README.txt").write_text("not a dump")

    result = runner.invoke(args=["mirror", "import", str(folder)])

    assert result.exit_code == 0, result.output
    assert counts(result.output, "nodes") == "2 added, 0 updated, 0 unchanged, 0 removed"
    assert counts(result.output, "versions") == "1 added, 0 updated, 0 unchanged, 0 removed"
    assert served(client, "a", "1.0.0")["changelog"] == "second"
    assert import_records(app) == 1


@pytest.mark.parametrize(
    ("order", "winner"),
    [(("first.json", "second.json"), "second"), (("second.json", "first.json"), "first")],
)
def test_several_paths_import_as_one_and_the_later_wins(
    app, runner, client, tmp_path, order, winner
):
    write(tmp_path / "first.json", dump(node("a", version("1.0.0", changelog="first")), node("b")))
    write(
        tmp_path / "second.json", dump(node("a", version("1.0.0", changelog="second")), node("c"))
    )

    result = runner.invoke(args=["mirror", "import", *(str(tmp_path / name) for name in order)])

    assert result.exit_code == 0, result.output
    assert counts(result.output, "nodes") == "3 added, 0 updated, 0 unchanged, 0 removed"
    assert served(client, "a", "1.0.0")["changelog"] == winner
    assert node_ids(app) == {"a", "b", "c"}
    assert import_records(app) == 1


def test_unknown_keys_are_ignored_and_counted(app, runner, client, tmp_path):
    document = dump(
        node(
            "a",
            version("1.0.0", future_version_field=[1, {"deep": None}]),
            publisher={**LTDRDATA, "future_publisher_field": "x"},
            future_node_field={"anything": True},
        ),
        future_top_field="x",
    )

    output = imported(runner, tmp_path, document)

    unknown = counts(output, "unknown keys ignored")
    assert unknown.startswith("4 ")
    for key in (
        "future_top_field",
        "future_publisher_field",
        "future_node_field",
        "future_version_field",
    ):
        assert key in unknown
    assert "future_version_field" not in served(client, "a", "1.0.0")


def test_no_unknown_keys_are_counted_for_a_dump_in_the_documented_format(runner, tmp_path):
    output = imported(runner, tmp_path, two_nodes())

    assert counts(output, "unknown keys ignored") == "0"


def test_latest_version_given_in_the_dump_is_ignored(app, runner, tmp_path):
    document = dump(
        node(
            "a",
            version("1.9.0"),
            version("1.10.0"),
            version("2.0.0", status="NodeVersionStatusDeleted"),
            latest_version={"version": "9.9.9", "createdAt": "not a date"},
        )
    )

    output = imported(runner, tmp_path, document)

    assert counts(output, "unknown keys ignored") == "0"
    with app.app_context():
        latest = db.session.execute(sa.select(Node.latest_version).where(Node.id == "a")).scalar()
    assert latest == "1.10.0"


def test_version_id_given_in_the_dump_is_kept(app, runner, client, tmp_path):
    given = "30c7a93c-d73a-4737-9e08-47006ace5222"

    imported(runner, tmp_path, dump(node("a", version("1.0.0", id=given))))

    assert stored_version_id(app, "a", "1.0.0") == given
    assert served(client, "a", "1.0.0")["id"] == given


@pytest.mark.parametrize("options", [(), ("--replace",)], ids=["merge", "replace"])
def test_version_without_id_gets_a_stable_id(app, runner, client, tmp_path, options):
    document = dump(node("a", version("1.0.0")))
    imported(runner, tmp_path, document)
    first = stored_version_id(app, "a", "1.0.0")

    imported(runner, tmp_path, document, *options)

    assert str(uuid.UUID(first)) == first
    assert stored_version_id(app, "a", "1.0.0") == first
    assert served(client, "a", "1.0.0")["id"] == first


def test_version_without_id_gets_the_same_id_in_every_mirror(app, runner, tmp_path):
    document = dump(node("a", version("1.0.0")))
    imported(runner, tmp_path, document)
    other = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.db'}"}
    )
    try:
        imported(other.test_cli_runner(), tmp_path, document)
        assert stored_version_id(other, "a", "1.0.0") == stored_version_id(app, "a", "1.0.0")
    finally:
        with other.app_context():
            db.engine.dispose()


def test_version_id_absent_from_a_later_dump_keeps_the_stored_id(app, runner, tmp_path):
    given = "30c7a93c-d73a-4737-9e08-47006ace5222"
    imported(runner, tmp_path, dump(node("a", version("1.0.0", id=given))))

    output = imported(runner, tmp_path, dump(node("a", version("1.0.0"))))

    assert NOTHING_CHANGED in output
    assert stored_version_id(app, "a", "1.0.0") == given


def test_node_id_differing_only_in_case_updates_the_same_node(app, runner, client, tmp_path):
    imported(runner, tmp_path, dump(node("Foo", version("1.0.0"), name="old")))

    output = imported(runner, tmp_path, dump(node("foo", version("1.0.0"), name="new")))

    assert counts(output, "nodes") == "0 added, 1 updated, 0 unchanged, 0 removed"
    with app.app_context():
        (stored,) = db.session.execute(sa.select(Node)).scalars()
        assert (stored.id, stored.normalized_id, stored.name) == ("foo", "foo", "new")
    assert served(client, "foo", "1.0.0")["node_id"] == "foo"


def test_node_id_recased_by_a_later_dump_reaches_the_versions_it_omits(runner, client, tmp_path):
    imported(runner, tmp_path, dump(node("Foo", version("1.0.0"))))

    imported(runner, tmp_path, dump(node("foo", version("2.0.0"))))

    assert served(client, "foo", "2.0.0")["node_id"] == "foo"
    assert served(client, "foo", "1.0.0")["node_id"] == "foo"


@pytest.mark.parametrize("asked", ["Foo", "foo", "FOO", "fOo"])
def test_bulk_lookup_finds_a_node_id_in_any_casing(runner, client, tmp_path, asked):
    imported(runner, tmp_path, dump(node("Foo", version("1.0.0"))))

    (result,) = bulk(client, (asked, "1.0.0"))

    assert result["status"] == "success"
    assert result["identifier"] == {"node_id": asked, "version": "1.0.0"}
    assert result["node_version"]["node_id"] == "Foo"


@pytest.mark.parametrize(
    "document",
    [
        dump(node("a", publisher=LTDRDATA)),
        dump(node("a", publisher={"id": "ltdrdata"}), publishers=[LTDRDATA]),
    ],
    ids=["inline", "reference"],
)
def test_node_publisher_may_be_inline_or_a_reference_to_the_publishers_list(
    app, runner, tmp_path, document
):
    output = imported(runner, tmp_path, document)

    assert counts(output, "publishers") == "1 added, 0 updated, 0 unchanged, 0 removed"
    with app.app_context():
        assert db.session.execute(sa.select(Node.publisher_id)).scalar_one() == "ltdrdata"
        publisher = db.session.execute(sa.select(Publisher)).scalar_one()
        assert (publisher.name, publisher.website, publisher.members) == (
            LTDRDATA["name"],
            LTDRDATA["website"],
            LTDRDATA["members"],
        )


def test_publisher_reference_may_name_a_publisher_the_mirror_holds(app, runner, tmp_path):
    imported(runner, tmp_path, dump(node("a", publisher=LTDRDATA)))

    output = imported(runner, tmp_path, dump(node("b", publisher={"id": "ltdrdata"})))

    assert counts(output, "nodes") == "1 added, 0 updated, 0 unchanged, 0 removed"
    with app.app_context():
        query = sa.select(Node.publisher_id).where(Node.id == "b")
        assert db.session.execute(query).scalar_one() == "ltdrdata"


def seed_node_ids() -> set[str]:
    """The node ids of the project's sample seed data."""
    return {entry["id"] for entry in json.loads(SEED_DUMP.read_text())["nodes"]}


def test_seed_imports_the_sample_data_into_an_empty_mirror(app, runner):
    result = runner.invoke(args=["mirror", "seed"])

    assert result.exit_code == 0, result.output
    assert "Seeded" in result.output
    assert node_ids(app) == seed_node_ids()


@pytest.mark.parametrize("first", ["seed", "import"], ids=["seeded-before", "holding-other-data"])
def test_seed_skips_a_mirror_that_holds_data(app, runner, tmp_path, first):
    if first == "seed":
        assert runner.invoke(args=["mirror", "seed"]).exit_code == 0
    else:
        imported(runner, tmp_path, dump(node("a", version("1.0.0"))))
    before = data_tables(app)

    result = runner.invoke(args=["mirror", "seed"])

    assert result.exit_code == 0, result.output
    assert "skipped" in result.output
    assert data_tables(app) == before


def test_changed_nodes_are_stamped_when_the_writing_ends_not_when_it_began(
    app, runner, tmp_path, monkeypatch
):
    # A sync asks for nodes changed after its own start; an import's changes become visible at
    # its commit, so their stamp must come from the end of the writing.
    clock = (datetime(2026, 1, 1) + timedelta(minutes=n) for n in itertools.count())
    handed_out = []

    def ticking():
        handed_out.append(next(clock))
        return handed_out[-1]

    monkeypatch.setattr(services.imports.writer, "utcnow", ticking)
    result = import_dump(runner, tmp_path, dump(node("late-pack", version("1.0.0"))))
    assert result.exit_code == 0, result.output
    with app.app_context():
        stamp = db.session.execute(sa.select(Node.changed_at)).scalar_one()
    assert len(handed_out) >= 2
    assert stamp == handed_out[-1]
