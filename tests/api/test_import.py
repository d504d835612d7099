"""`flask mirror import`: what a good dump does to the mirror (merge, replace, the files read,
keys ignored, publishers).

Version ids and node id casing are in test_import_ids.py, `flask mirror seed` in test_seed.py,
refused dumps in test_import_refusals.py and test_import_field_rules.py, export round trips in
test_export.py."""

import itertools
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

import services.imports.derived
import services.imports.writer
from extensions import db
from models import ImportRecord, Node, NodeVersion, Publisher
from tests.assertions import served_version
from tests.bundles import SEED_DUMP, data_tables, mirrored_node_ids
from tests.dumps import dump, import_dump, imported, node, version, write
from tests.mirrors import NOTHING_CHANGED, import_counts


def mirrored_pairs(app) -> set[tuple[str, str]]:
    """Every (normalized node id, version) the mirror stores."""
    with app.app_context():
        query = sa.select(NodeVersion.node_normalized_id, NodeVersion.version)
        return {tuple(row) for row in db.session.execute(query)}


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

    assert import_counts(output, "publishers") == "1 added, 0 updated, 0 unchanged, 0 removed"
    assert import_counts(output, "nodes") == "2 added, 0 updated, 0 unchanged, 0 removed"
    assert import_counts(output, "versions") == "3 added, 0 updated, 0 unchanged, 0 removed"
    assert NOTHING_CHANGED not in output
    assert mirrored_pairs(app) == {
        ("comfyui-impact-pack", "8.0.0"),
        ("comfyui-impact-pack", "7.4.0"),
        ("rgthree-comfy", "1.0.0"),
    }
    assert (
        served_version(client, "comfyui-impact-pack", "8.0.0")["changelog"] == "Detailer rewrite."
    )


def test_importing_the_same_dump_twice_changes_nothing_the_second_time(app, runner, tmp_path):
    imported(runner, tmp_path, two_nodes())
    before = data_tables(app)

    output = imported(runner, tmp_path, two_nodes())

    assert import_counts(output, "publishers") == "0 added, 0 updated, 1 unchanged, 0 removed"
    assert import_counts(output, "nodes") == "0 added, 0 updated, 2 unchanged, 0 removed"
    assert import_counts(output, "versions") == "0 added, 0 updated, 3 unchanged, 0 removed"
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

    assert import_counts(output, "versions") == "0 added, 1 updated, 1 unchanged, 0 removed"
    assert served_version(client, "a", "1.0.0")["changelog"] == "new"


def test_merge_updates_a_changed_node_field(app, runner, tmp_path):
    imported(runner, tmp_path, dump(node("a", version("1.0.0"), downloads=10), node("b")))

    output = imported(runner, tmp_path, dump(node("a", version("1.0.0"), downloads=11), node("b")))

    assert import_counts(output, "nodes") == "0 added, 1 updated, 1 unchanged, 0 removed"
    assert import_counts(output, "versions") == "0 added, 0 updated, 1 unchanged, 0 removed"
    with app.app_context():
        assert db.session.execute(sa.select(Node.downloads).where(Node.id == "a")).scalar() == 11


def test_merge_keeps_nodes_and_versions_absent_from_the_dump(app, runner, client, tmp_path):
    imported(
        runner,
        tmp_path,
        dump(node("a", version("1.0.0"), version("2.0.0")), node("b", version("1.0.0"))),
    )

    output = imported(runner, tmp_path, dump(node("a", version("2.0.0"))))

    assert import_counts(output, "nodes") == "0 added, 0 updated, 1 unchanged, 0 removed"
    assert import_counts(output, "versions") == "0 added, 0 updated, 1 unchanged, 0 removed"
    assert mirrored_pairs(app) == {("a", "1.0.0"), ("a", "2.0.0"), ("b", "1.0.0")}
    assert served_version(client, "a", "1.0.0") is not None
    assert served_version(client, "b", "1.0.0") is not None


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

    assert import_counts(output, "nodes") == "1 added, 1 updated, 0 unchanged, 1 removed"
    assert import_counts(output, "versions") == "1 added, 0 updated, 1 unchanged, 3 removed"
    assert mirrored_node_ids(app) == {"a", "c"}
    assert mirrored_pairs(app) == {("a", "2.0.0"), ("c", "1.0.0")}
    assert served_version(client, "a", "1.0.0") is None
    assert served_version(client, "b", "1.0.0") is None


def test_replace_removes_publishers_absent_from_the_dumps(app, runner, tmp_path):
    kijai = {"id": "kijai", "name": "Kijai"}
    imported(
        runner,
        tmp_path,
        dump(node("a", publisher={"id": "ltdrdata"}), publishers=[LTDRDATA, kijai]),
    )

    output = imported(runner, tmp_path, dump(node("a"), publishers=[kijai]), "--replace")

    assert import_counts(output, "publishers") == "0 added, 0 updated, 1 unchanged, 1 removed"
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
    assert import_counts(result.output, "nodes") == "2 added, 0 updated, 0 unchanged, 0 removed"
    assert import_counts(result.output, "versions") == "1 added, 0 updated, 0 unchanged, 0 removed"
    assert served_version(client, "a", "1.0.0")["changelog"] == "second"
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
    assert import_counts(result.output, "nodes") == "3 added, 0 updated, 0 unchanged, 0 removed"
    assert served_version(client, "a", "1.0.0")["changelog"] == winner
    assert mirrored_node_ids(app) == {"a", "b", "c"}
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

    unknown = import_counts(output, "unknown keys ignored")
    assert unknown.startswith("4 ")
    for key in (
        "future_top_field",
        "future_publisher_field",
        "future_node_field",
        "future_version_field",
    ):
        assert key in unknown
    assert "future_version_field" not in served_version(client, "a", "1.0.0")


def test_no_unknown_keys_are_counted_for_a_dump_in_the_documented_format(runner, tmp_path):
    output = imported(runner, tmp_path, two_nodes())

    assert import_counts(output, "unknown keys ignored") == "0"


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

    assert import_counts(output, "unknown keys ignored") == "0"
    with app.app_context():
        latest = db.session.execute(sa.select(Node.latest_version).where(Node.id == "a")).scalar()
    assert latest == "1.10.0"


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

    assert import_counts(output, "publishers") == "1 added, 0 updated, 0 unchanged, 0 removed"
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

    assert import_counts(output, "nodes") == "1 added, 0 updated, 0 unchanged, 0 removed"
    with app.app_context():
        query = sa.select(Node.publisher_id).where(Node.id == "b")
        assert db.session.execute(query).scalar_one() == "ltdrdata"


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
    monkeypatch.setattr(services.imports.derived, "utcnow", ticking)
    result = import_dump(runner, tmp_path, dump(node("late-pack", version("1.0.0"))))
    assert result.exit_code == 0, result.output
    with app.app_context():
        stamp = db.session.execute(sa.select(Node.changed_at)).scalar_one()
    assert len(handed_out) >= 2
    assert stamp == handed_out[-1]


def test_an_import_inserts_every_new_version_in_one_batch(app, runner, tmp_path):
    # Versions with and without optional fields, alternating, as upstream's data has them.
    versions = [
        version(f"1.0.{index}", **({"supported_os": ["linux"]} if index % 2 else {}))
        for index in range(20)
    ]
    inserts = []

    def record(connection, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO node_versions"):
            inserts.append(len(parameters) if executemany else 1)

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        imported(runner, tmp_path, dump(node("pack-one", *versions), node("pack-two", *versions)))
    finally:
        with app.app_context():
            sa.event.remove(db.engine, "before_cursor_execute", record)

    assert inserts == [40]
