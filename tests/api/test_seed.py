"""`flask mirror seed`: the sample bundle loaded into an empty mirror, every installable version
with its archive, and never over data."""

import json

import pytest
import sqlalchemy as sa

from extensions import db
from models import NodeVersion, NodeVersionStatus
from services.archives import ArchiveStore
from tests.bundles import SEED_DATA, SEED_DUMP, data_tables, mirrored_node_ids
from tests.dumps import dump, imported, node, version


def seed_node_ids() -> set[str]:
    """The node ids of the project's sample seed data."""
    return {entry["id"] for entry in json.loads(SEED_DUMP.read_text())["nodes"]}


def test_seed_imports_the_sample_data_into_an_empty_mirror(app, runner):
    result = runner.invoke(args=["mirror", "seed"])

    assert result.exit_code == 0, result.output
    assert "Seeded" in result.output
    assert mirrored_node_ids(app) == seed_node_ids()


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


def test_sample_bundle_seeds_an_empty_mirror_with_an_archive_for_every_installable_version(
    app,
):
    result = app.test_cli_runner().invoke(args=["mirror", "seed"])

    assert result.exit_code == 0, result.output
    manifest = json.loads((SEED_DATA / "manifest.json").read_bytes())
    count = len(manifest["archives"])
    assert f"archives: {count} verified, " in result.output
    store = ArchiveStore(app.config["ARCHIVE_DIR"])
    installable = {
        NodeVersionStatus.ACTIVE,
        NodeVersionStatus.PENDING,
        NodeVersionStatus.FLAGGED,
    }
    with app.app_context():
        versions = db.session.execute(sa.select(NodeVersion)).scalars().all()
        without = [
            (v.node_id, v.version)
            for v in versions
            if v.status in installable and not (v.archive_sha256 and store.has(v.archive_sha256))
        ]
        archived = sum(1 for v in versions if v.archive_sha256)
    assert versions
    assert without == []
    assert archived == count


def test_sample_bundle_archives_download_as_shipped(app):
    assert app.test_cli_runner().invoke(args=["mirror", "seed"]).exit_code == 0
    manifest = json.loads((SEED_DATA / "manifest.json").read_bytes())
    client = app.test_client()

    for entry in manifest["archives"]:
        response = client.get(f"/archives/{entry['node_id']}/{entry['version']}/node.zip")
        assert response.status_code == 200, entry
        assert response.data == (SEED_DATA / entry["path"]).read_bytes(), entry
