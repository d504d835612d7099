"""`flask mirror index [--rebuild]`: reading the archives a mirror already holds, as one
transaction; never over upstream's classes."""

import pytest
import sqlalchemy as sa

from extensions import db
from tests.assertions import assert_error, get_json
from tests.bundles import import_into, table_contents, write_bundle
from tests.databases import POSTGRESQL, backend
from tests.dumps import comfy_node, dump, node, version
from tests.packs import FILTERS_PACK, SERVED_FILTERS, pack_bytes

POISON_PACK = {"__init__.py": "class P:\n    pass\n\nNODE_CLASS_MAPPINGS = {'Poison': P}\n"}


def run_index(app, *options: str):
    """Run `flask mirror index` in-process; the click result."""
    return app.test_cli_runner().invoke(args=["mirror", "index", *options])


def execute(app, *statements: str) -> None:
    """Run SQL statements on the mirror's database and commit."""
    with app.app_context():
        for statement in statements:
            db.session.execute(sa.text(statement))
        db.session.commit()


def forget_classes(app) -> None:
    """Remove every node class and index record, as in a mirror imported before indexing."""
    execute(app, "DELETE FROM comfy_nodes", "DELETE FROM comfy_node_indexes")


@pytest.fixture
def mirrored(app, tmp_path):
    """Two packs imported: `filters` read from its archive, `upstream` with upstream's classes
    (and an archive registering others)."""
    raw = pack_bytes(tmp_path, FILTERS_PACK)
    document = dump(
        node("filters", version("1.0.0")),
        node("upstream", version("1.0.0", comfy_nodes=[comfy_node("Theirs")])),
    )
    contents = {("filters", "1.0.0"): raw, ("upstream", "1.0.0"): raw}
    import_into(app, write_bundle(tmp_path / "bundle", document, contents=contents))


def test_index_reads_the_archives_of_pending_versions(app, client, tmp_path):
    document = dump(node("filters", version("1.0.0")))
    contents = {("filters", "1.0.0"): pack_bytes(tmp_path, FILTERS_PACK)}
    import_into(app, write_bundle(tmp_path / "bundle", document, contents=contents))
    forget_classes(app)
    assert get_json(client, "/status")["comfy_nodes"]["pending"] == 1
    assert_error(client.get("/comfy-nodes/Sharpen/node"), 404)

    result = run_index(app)

    assert result.exit_code == 0, result.output
    assert result.output.startswith("Read the archives of 1 versions:\n")
    assert "  1 versions indexed, 2 node classes found, 0 not indexed (1 archives" in result.output
    assert get_json(client, "/comfy-nodes/Sharpen/node")["id"] == "filters"
    listed = get_json(client, "/nodes/filters/versions/1.0.0/comfy-nodes")["comfy_nodes"]
    assert listed == SERVED_FILTERS
    assert get_json(client, "/status")["comfy_nodes"]["pending"] == 0
    again = run_index(app)
    assert again.output == (
        "Nothing to index: every version with an archive has its node classes.\n"
    )


def test_rebuild_reads_again_what_was_read_never_upstreams(app, client, mirrored):
    execute(app, "UPDATE comfy_nodes SET category = 'stale'")
    assert run_index(app).output.startswith("Nothing to index")

    result = run_index(app, "--rebuild")

    assert result.exit_code == 0, result.output
    assert result.output.startswith("Read the archives of 1 versions again:\n")
    listed = get_json(client, "/nodes/filters/versions/1.0.0/comfy-nodes")["comfy_nodes"]
    assert listed == SERVED_FILTERS
    theirs = get_json(client, "/nodes/upstream/versions/1.0.0/comfy-nodes")["comfy_nodes"]
    assert theirs == [comfy_node("Theirs", category="stale")]
    assert get_json(client, "/status")["comfy_nodes"] | {"classes": 0} == {
        "upstream": 1,
        "extracted": 1,
        "not_indexed": 0,
        "pending": 0,
        "classes": 0,
    }


def poison_trigger(app) -> None:
    """Make the database refuse any node class named Poison, as a failing disk would refuse."""
    if backend() == POSTGRESQL:
        execute(
            app,
            "CREATE FUNCTION poisoned() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'poisoned'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER poison BEFORE INSERT ON comfy_nodes FOR EACH ROW "
            "WHEN (NEW.comfy_node_name = 'Poison') EXECUTE FUNCTION poisoned()",
        )
    else:
        execute(
            app,
            "CREATE TRIGGER poison BEFORE INSERT ON comfy_nodes "
            "WHEN NEW.comfy_node_name = 'Poison' BEGIN SELECT RAISE(ABORT, 'poisoned'); END",
        )


def test_index_is_all_or_nothing(app, client, tmp_path):
    document = dump(node("filters", version("1.0.0")), node("poison", version("1.0.0")))
    contents = {
        ("filters", "1.0.0"): pack_bytes(tmp_path, FILTERS_PACK),
        ("poison", "1.0.0"): pack_bytes(tmp_path, POISON_PACK, "poison.zip"),
    }
    bundle = write_bundle(tmp_path / "bundle", document, contents=contents)
    import_into(app, bundle)
    forget_classes(app)
    poison_trigger(app)
    before = table_contents(app)

    result = run_index(app)

    assert result.exit_code != 0, result.output
    assert table_contents(app) == before
    assert_error(client.get("/comfy-nodes/Sharpen/node"), 404)


def test_index_help_says_what_it_reads(runner):
    result = runner.invoke(args=["mirror", "index", "--help"])
    assert "--rebuild" in result.output
    assert "pending" in result.output
