"""Content hashes: an import skips what the mirror already holds unchanged, and only that."""

import contextlib

import sqlalchemy as sa

from extensions import db
from models import Node, NodeVersion
from services.dumps.hashes import UNLOADED
from services.dumps.reader import DumpDocument
from services.dumps.validation import validate_dumps
from services.imports.versions import stored_hashes
from services.imports.writer import apply_incoming
from tests.dumps import dump, import_dump, imported, node, version
from tests.mirrors import assert_refused, import_counts

PLACE = "dump.json: nodes[0].versions"
UNCHANGED = "0 added, 0 updated, {} unchanged, 0 removed"


def pack(changelog: str = "First.", dependencies=("numpy",), translations=None) -> dict:
    """A node with three versions, nested values in both the node and a version."""
    return dump(
        node(
            "Hash-Pack",
            version("1.0.0", changelog="Old.", id="5f0d6d5e-5b8e-4f0b-9d55-1c9a4a2f3a01"),
            version("1.1.0", changelog=changelog, dependencies=list(dependencies)),
            version("1.2.0", status="NodeVersionStatusPending"),
            translations=translations or {"zh": {"name": "包"}},
        )
    )


def stored(app) -> tuple[list, list]:
    """Every stored node and version row, in a stable order."""
    with app.app_context():
        nodes = db.session.execute(sa.select(Node.__table__).order_by(Node.normalized_id))
        versions = db.session.execute(sa.select(NodeVersion.__table__).order_by(NodeVersion.id))
        return [tuple(row) for row in nodes], [tuple(row) for row in versions]


@contextlib.contextmanager
def row_writes(app):
    """The INSERT and UPDATE statements on nodes and node_versions run meanwhile."""
    seen: list[str] = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        words = statement.split()
        if words[0] in ("INSERT", "UPDATE") and {"nodes", "node_versions"} & set(words[:4]):
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", listen)


def test_an_unchanged_reimport_writes_no_row_and_stamps_nothing(app, runner, tmp_path):
    imported(runner, tmp_path, pack())
    before = stored(app)

    with row_writes(app) as writes:
        output = imported(runner, tmp_path, pack())

    assert writes == []
    assert stored(app) == before
    assert import_counts(output, "versions") == UNCHANGED.format(3)
    assert import_counts(output, "nodes") == UNCHANGED.format(1)


def test_a_change_deep_in_nested_values_is_seen(app, client, runner, tmp_path):
    imported(runner, tmp_path, pack())

    output = imported(runner, tmp_path, pack(dependencies=("numpy", "scipy")))
    assert "1 updated" in import_counts(output, "versions")
    answer = client.get("/nodes/Hash-Pack/versions/1.1.0").get_json()
    assert answer["dependencies"] == ["numpy", "scipy"]
    # The node itself is unchanged, and written whole all the same (its stamp moves on).
    with app.app_context():
        assert db.session.scalar(sa.select(Node.translations)) == {"zh": {"name": "包"}}

    output = imported(
        runner, tmp_path, pack(dependencies=("numpy", "scipy"), translations={"zh": {"name": "新"}})
    )
    assert import_counts(output, "nodes") == "0 added, 1 updated, 0 unchanged, 0 removed"
    assert import_counts(output, "versions") == UNCHANGED.format(3)
    with app.app_context():
        translations = db.session.scalar(sa.select(Node.translations))
    assert translations == {"zh": {"name": "新"}}


def test_rows_without_a_hash_are_compared_in_full_and_given_one(app, client, runner, tmp_path):
    imported(runner, tmp_path, pack())
    with app.app_context():
        # As a mirror upgraded from before hashes were stored: none, and one row out of date.
        db.session.execute(sa.update(Node).values(content_hash=None))
        db.session.execute(sa.update(NodeVersion).values(content_hash=None))
        db.session.execute(
            sa.update(NodeVersion).where(NodeVersion.version == "1.0.0").values(changelog="Stale.")
        )
        db.session.commit()
        stamps = list(db.session.scalars(sa.select(Node.changed_at)))

    output = imported(runner, tmp_path, pack())

    assert import_counts(output, "versions") == "0 added, 1 updated, 2 unchanged, 0 removed"
    with app.app_context():
        assert None not in db.session.scalars(sa.select(NodeVersion.content_hash)).all()
        assert None not in db.session.scalars(sa.select(Node.content_hash)).all()
    answer = client.get("/nodes/Hash-Pack/versions/1.0.0").get_json()
    assert answer["changelog"] == "Old."
    # Hashes filled, nothing else differs: the next import is a no-op again.
    with row_writes(app) as writes:
        output = imported(runner, tmp_path, pack())
    assert import_counts(output, "versions") == UNCHANGED.format(3)
    assert writes == []
    with app.app_context():
        assert list(db.session.scalars(sa.select(Node.changed_at))) != stamps


def test_unchanged_versions_still_count_in_a_nodes_checks(app, runner, tmp_path):
    imported(runner, tmp_path, pack())
    document = pack()
    # An unchanged version given twice, and an unchanged one naming another node.
    document["nodes"][0]["versions"].append(dict(document["nodes"][0]["versions"][0]))
    document["nodes"][0]["versions"][2]["node_id"] = "other-pack"
    before = stored(app)

    result = import_dump(runner, tmp_path, document)

    assert_refused(
        result,
        f"{PLACE}[3].version: Duplicate of versions[0] ('1.0.0').",
        f"{PLACE}[2].node_id: Must equal the enclosing node's id 'Hash-Pack'.",
    )
    assert stored(app) == before


def test_a_bad_new_version_beside_unchanged_ones_is_placed_exactly(app, runner, tmp_path):
    imported(runner, tmp_path, pack())
    document = pack()
    document["nodes"][0]["versions"].insert(1, version("2.0.0", deprecated="yes"))

    result = import_dump(runner, tmp_path, document)

    assert_refused(result, f"{PLACE}[1].deprecated: Not a valid boolean.")


def test_unknown_keys_of_unchanged_versions_are_still_counted(app, runner, tmp_path):
    document = pack()
    document["nodes"][0]["versions"][0]["future_field"] = 1
    first = imported(runner, tmp_path, document)

    second = imported(runner, tmp_path, document)

    assert "future_field" in import_counts(first, "unknown keys ignored")
    assert import_counts(second, "unknown keys ignored") == import_counts(
        first, "unknown keys ignored"
    )


def test_objects_left_unloaded_are_loaded_if_their_rows_change_before_the_write(
    app, runner, tmp_path
):
    imported(runner, tmp_path, pack())
    document = DumpDocument("dump.json", pack())
    with app.app_context():
        incoming = validate_dumps([document], stored=stored_hashes(db.session, [document]))
        # Another writer changes the rows after validation read their hashes.
        db.session.execute(sa.update(Node).values(content_hash="other", name="Renamed"))
        db.session.execute(sa.update(NodeVersion).values(content_hash="other", changelog="New."))
        summary = apply_incoming(db.session, incoming, replace=False)
        db.session.commit()
        changelogs = dict(
            db.session.execute(sa.select(NodeVersion.version, NodeVersion.changelog)).all()
        )
        name = db.session.scalar(sa.select(Node.name))

    assert [
        record.get(UNLOADED) is not None for record in incoming.nodes["hash-pack"].versions.values()
    ] == [True] * 3
    assert UNLOADED in incoming.nodes["hash-pack"].record
    assert summary.versions.updated == 3
    assert summary.nodes.updated == 1
    assert changelogs == {"1.0.0": "Old.", "1.1.0": "First.", "1.2.0": ""}
    assert name is None
