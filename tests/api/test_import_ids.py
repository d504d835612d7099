"""`flask mirror import` and identity: version ids kept or made stable, and node ids that match
in any case."""

import uuid

import pytest
import sqlalchemy as sa

from extensions import db
from models import Node, NodeVersion
from tests.assertions import bulk_results, served_version
from tests.dumps import dump, imported, node, version
from tests.mirrors import NOTHING_CHANGED, import_counts


def stored_version_id(app, node_key: str, number: str) -> str:
    """The id the mirror stores for one pair."""
    with app.app_context():
        return db.session.execute(
            sa.select(NodeVersion.id).where(
                NodeVersion.node_normalized_id == node_key, NodeVersion.version == number
            )
        ).scalar_one()


def test_version_id_given_in_the_dump_is_kept(app, runner, client, tmp_path):
    given = "30c7a93c-d73a-4737-9e08-47006ace5222"

    imported(runner, tmp_path, dump(node("a", version("1.0.0", id=given))))

    assert stored_version_id(app, "a", "1.0.0") == given
    assert served_version(client, "a", "1.0.0")["id"] == given


@pytest.mark.parametrize("options", [(), ("--replace",)], ids=["merge", "replace"])
def test_version_without_id_gets_a_stable_id(app, runner, client, tmp_path, options):
    document = dump(node("a", version("1.0.0")))
    imported(runner, tmp_path, document)
    first = stored_version_id(app, "a", "1.0.0")

    imported(runner, tmp_path, document, *options)

    assert str(uuid.UUID(first)) == first
    assert stored_version_id(app, "a", "1.0.0") == first
    assert served_version(client, "a", "1.0.0")["id"] == first


def test_version_without_id_gets_the_same_id_in_every_mirror(app, runner, make_mirror, tmp_path):
    document = dump(node("a", version("1.0.0")))
    imported(runner, tmp_path, document)
    other = make_mirror()

    imported(other.test_cli_runner(), tmp_path, document)

    assert stored_version_id(other, "a", "1.0.0") == stored_version_id(app, "a", "1.0.0")


def test_version_id_absent_from_a_later_dump_keeps_the_stored_id(app, runner, tmp_path):
    given = "30c7a93c-d73a-4737-9e08-47006ace5222"
    imported(runner, tmp_path, dump(node("a", version("1.0.0", id=given))))

    output = imported(runner, tmp_path, dump(node("a", version("1.0.0"))))

    assert NOTHING_CHANGED in output
    assert stored_version_id(app, "a", "1.0.0") == given


def test_node_id_differing_only_in_case_updates_the_same_node(app, runner, client, tmp_path):
    imported(runner, tmp_path, dump(node("Foo", version("1.0.0"), name="old")))

    output = imported(runner, tmp_path, dump(node("foo", version("1.0.0"), name="new")))

    assert import_counts(output, "nodes") == "0 added, 1 updated, 0 unchanged, 0 removed"
    with app.app_context():
        (stored,) = db.session.execute(sa.select(Node)).scalars()
        assert (stored.id, stored.normalized_id, stored.name) == ("foo", "foo", "new")
    assert served_version(client, "foo", "1.0.0")["node_id"] == "foo"


def test_node_id_recased_by_a_later_dump_reaches_the_versions_it_omits(runner, client, tmp_path):
    imported(runner, tmp_path, dump(node("Foo", version("1.0.0"))))

    imported(runner, tmp_path, dump(node("foo", version("2.0.0"))))

    assert served_version(client, "foo", "2.0.0")["node_id"] == "foo"
    assert served_version(client, "foo", "1.0.0")["node_id"] == "foo"


@pytest.mark.parametrize("asked", ["Foo", "foo", "FOO", "fOo"])
def test_bulk_lookup_finds_a_node_id_in_any_casing(runner, client, tmp_path, asked):
    imported(runner, tmp_path, dump(node("Foo", version("1.0.0"))))

    (result,) = bulk_results(client, (asked, "1.0.0"))

    assert result["status"] == "success"
    assert result["identifier"] == {"node_id": asked, "version": "1.0.0"}
    assert result["node_version"]["node_id"] == "Foo"
