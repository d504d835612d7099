"""A sync leaves the listings' stored totals and anchors those of the rows it wrote."""

import sqlalchemy as sa

from extensions import db
from models import ListingTotal, Node, NodeVersion
from services.listings import stale_listings


def test_a_sync_stores_the_totals_its_pages_answer(seeded_server, make_mirror, tmp_path):
    mirror = make_mirror()
    result = mirror.test_cli_runner().invoke(
        args=[
            "mirror",
            "sync",
            "--upstream",
            seeded_server.url,
            "--retries",
            "2",
            "--backoff",
            "0.01",
            "--work-dir",
            str(tmp_path / "work"),
        ]
    )
    assert result.exit_code == 0, result.output

    with mirror.app_context():
        assert stale_listings(db.session) == []
        stored = dict(db.session.execute(sa.select(ListingTotal.listing, ListingTotal.total)).all())
        nodes = db.session.scalar(sa.select(sa.func.count()).select_from(Node))
        versions = db.session.scalar(sa.select(sa.func.count()).select_from(NodeVersion))
    assert stored == {"nodes": nodes, "versions": versions}
    assert versions > 0
    client = mirror.test_client()
    assert client.get("/versions?pageSize=100").json["total"] == versions
    assert client.get("/nodes?limit=100").json["total"] == nodes
