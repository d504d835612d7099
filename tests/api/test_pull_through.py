"""Pull-through mode in-process: a mirror that lacks a node fetches it from an upstream (a real
mirror app behind tests.fault_upstream's server, which counts what it is asked), stores it with
an import record of its own, and serves it; misses, hangs, bans and what never pulls through."""

import pytest
import sqlalchemy as sa

from extensions import db
from models import ImportRecord
from tests.bundles import archive_bytes, import_into, upstream_version, write_bundle
from tests.dumps import dump, node
from tests.fault_upstream import fault_upstream, small_registry
from tests.serving import free_port

BANNED_NODE = "NodeStatusBanned"
BANNED_VERSION = "NodeVersionStatusBanned"


def registry() -> dict:
    """The small registry, plus two more nodes, a node banned upstream and a banned version."""
    document = small_registry()
    alpha = next(item for item in document["nodes"] if item["id"] == "alpha")
    alpha["versions"].append(upstream_version("alpha", "1.2.0", status=BANNED_VERSION))
    document["nodes"] += [
        node("epsilon", upstream_version("epsilon", "1.0.0")),
        node("zeta", upstream_version("zeta", "1.0.0"), upstream_version("zeta", "1.1.0")),
        node(
            "omega", upstream_version("omega", "0.1.0", status=BANNED_VERSION), status=BANNED_NODE
        ),
    ]
    return document


@pytest.fixture
def upstream(tmp_path):
    """The registry served by a counting FaultUpstream."""
    with fault_upstream(tmp_path, registry()) as server:
        yield server


def pulling(make_mirror, url: str, **settings):
    """An empty mirror pulling through from `url`."""
    config = {"PULL_THROUGH": url, "PULL_THROUGH_TIMEOUT": 20, "PULL_THROUGH_MISS_TTL": 300}
    mirror = make_mirror(**{**config, **settings})
    return mirror


def without_urls(document):
    """A JSON document without its downloadUrls (each mirror serves its own)."""
    if isinstance(document, dict):
        return {k: without_urls(v) for k, v in document.items() if k != "downloadUrl"}
    if isinstance(document, list):
        return [without_urls(item) for item in document]
    return document


def asked(upstream, path: str) -> int:
    """How many requests for exactly `path` (any query) reached the upstream."""
    return sum(request.split("?")[0] == path for request in upstream.requests)


def pull_through_records(mirror) -> list[ImportRecord]:
    """The mirror's import records of kind pull-through."""
    with mirror.app_context():
        query = sa.select(ImportRecord).where(ImportRecord.kind == "pull-through")
        return list(db.session.scalars(query))


def test_each_look_up_fetches_stores_and_serves_what_the_mirror_lacked(make_mirror, tmp_path):
    with fault_upstream(tmp_path, registry()) as upstream:
        theirs = upstream.app.test_client()
        mirror = pulling(make_mirror, upstream.url)
        client = mirror.test_client()
        asks = {
            "/nodes/alpha": 200,
            "/nodes/Beta-Pack/versions": 200,
            "/nodes/gamma/install": 200,
            "/nodes/delta/versions/3.1.0": 200,
        }
        for path, status in asks.items():
            answer = client.get(path)
            assert answer.status_code == status, (path, answer.json)
            assert without_urls(answer.json) == without_urls(theirs.get(path).json), path
        archive = client.get("/archives/epsilon/1.0.0/node.zip")
        assert archive.status_code == 200
        assert archive.data == archive_bytes("epsilon", "1.0.0")
        pairs = [{"node_id": "zeta", "version": "1.1.0"}, {"node_id": "nope", "version": "1.0"}]
        bulk = client.post("/bulk/nodes/versions", json={"node_versions": pairs}).json
        assert [item["status"] for item in bulk["node_versions"]] == ["success", "not_found"]
        # Archives come with the node: the mirror hands out its own URLs.
        latest = client.get("/nodes/alpha").json["latest_version"]
        assert latest["downloadUrl"] == "http://localhost/archives/alpha/1.1.0/node.zip"
    # The upstream is gone: everything fetched is served from the mirror's own store.
    for path in asks:
        assert client.get(path).status_code == 200, path
    assert client.get("/archives/epsilon/1.0.0/node.zip").data == archive_bytes("epsilon", "1.0.0")
    records = pull_through_records(mirror)
    assert len(records) == 6
    assert {record.origin for record in records} == {upstream.url}
    status = client.get("/status").json
    assert status["pull_through_imports"] == 6
    assert status["last_pull_through"]["kind"] == "pull-through"
    assert status["nodes"] == 6
    output = mirror.test_cli_runner().invoke(args=["mirror", "status"]).output
    assert "Pull-through imports: 6; last: " in output


def test_an_upstream_404_is_remembered_for_the_miss_ttl(make_mirror, upstream):
    client = pulling(make_mirror, upstream.url).test_client()

    for path in ("/nodes/nope", "/nodes/nope/versions", "/nodes/nope/install"):
        assert client.get(path).status_code == 404
    bulk = {"node_versions": [{"node_id": "NOPE", "version": "1.0.0"}]}
    assert client.post("/bulk/nodes/versions", json=bulk).json["node_versions"][0]["status"] == (
        "not_found"
    )
    assert asked(upstream, "/nodes/nope") == 1


def test_a_miss_past_its_ttl_is_asked_again(make_mirror, upstream):
    client = pulling(make_mirror, upstream.url, PULL_THROUGH_MISS_TTL=0).test_client()

    assert client.get("/nodes/nope").status_code == 404
    assert client.get("/nodes/nope").status_code == 404
    assert asked(upstream, "/nodes/nope") == 2


def test_a_hanging_upstream_holds_no_request_past_the_timeout(make_mirror, upstream):
    upstream.hold("nodes", times=None)
    mirror = pulling(make_mirror, upstream.url, PULL_THROUGH_TIMEOUT=0.5)
    client = mirror.test_client()

    answer = client.get("/nodes/alpha")
    pairs = {"node_versions": [{"node_id": "gamma", "version": "0.1.0"}]}
    bulk = client.post("/bulk/nodes/versions", json=pairs)

    assert answer.status_code == 404
    assert answer.json["message"] == "Node 'alpha' is not in this mirror."
    assert bulk.json["node_versions"][0]["status"] == "not_found"
    # Answered while the upstream still held the mirror's asks.
    assert upstream.holding >= 1
    upstream.released.set()
    mirror.extensions["pull_through"].close()


def test_an_unreachable_upstream_answers_as_without_pull_through(make_mirror):
    client = pulling(make_mirror, f"http://127.0.0.1:{free_port()}").test_client()

    assert client.get("/nodes/alpha").status_code == 404
    assert client.get("/nodes/alpha/install").status_code == 404
    assert client.get("/archives/alpha/1.0.0/node.zip").status_code == 404
    pairs = {"node_versions": [{"node_id": "alpha", "version": "1.0.0"}]}
    bulk = client.post("/bulk/nodes/versions", json=pairs).json
    assert bulk["node_versions"][0]["status"] == "not_found"


def test_without_the_setting_the_upstream_is_never_contacted(make_mirror, upstream):
    client = make_mirror().test_client()

    assert client.get("/nodes/alpha").status_code == 404
    assert client.get("/archives/alpha/1.0.0/node.zip").status_code == 404
    pairs = {"node_versions": [{"node_id": "alpha", "version": "1.0.0"}]}
    client.post("/bulk/nodes/versions", json=pairs)
    assert upstream.requests == []


def test_lists_searches_and_pages_never_pull_through(make_mirror, upstream):
    client = pulling(make_mirror, upstream.url).test_client()

    assert client.get("/nodes").json["total"] == 0
    assert client.get("/nodes/search?search=alpha").json["total"] == 0
    assert client.get("/versions?node_id=alpha").json["total"] == 0
    assert client.get("/web/packs/alpha").status_code == 404
    assert upstream.requests == []


def test_a_bulk_request_fetches_a_bounded_number_of_nodes(make_mirror, upstream):
    client = pulling(make_mirror, upstream.url).test_client()
    pairs = [{"node_id": f"missing-{n}", "version": "1.0.0"} for n in range(25)]

    answer = client.post("/bulk/nodes/versions", json={"node_versions": pairs}).json

    assert {item["status"] for item in answer["node_versions"]} == {"not_found"}
    assert upstream.count("nodes") == 20


def test_what_upstream_banned_is_stored_and_served_banned(make_mirror, upstream):
    client = pulling(make_mirror, upstream.url).test_client()

    assert client.get("/nodes/omega").status_code == 403
    assert client.get("/nodes/alpha/install?version=1.2.0").status_code == 403
    assert client.get("/nodes/alpha/versions/1.2.0").json["status"] == BANNED_VERSION
    assert client.get("/archives/alpha/1.2.0/node.zip").status_code == 404
    fetched = upstream.count("nodes")
    # Held banned now: asked again, they are refused from the store.
    assert client.get("/nodes/omega").status_code == 403
    assert client.get("/nodes/omega/versions/9.9.9").status_code == 404
    assert upstream.count("nodes") == fetched


def test_a_node_held_banned_is_never_fetched_again(make_mirror, upstream, tmp_path):
    mirror = pulling(make_mirror, upstream.url)
    banned = dump(
        node("alpha", upstream_version("alpha", "1.0.0", status=BANNED_VERSION), status=BANNED_NODE)
    )
    import_into(mirror, write_bundle(tmp_path / "banned", banned, archived=[]))
    client = mirror.test_client()

    assert client.get("/nodes/alpha").status_code == 403
    assert client.get("/nodes/alpha/install?version=1.1.0").status_code == 403
    assert client.get("/nodes/alpha/versions/1.1.0").status_code == 404
    assert client.get("/archives/alpha/1.0.0/node.zip").status_code == 404
    pairs = {"node_versions": [{"node_id": "alpha", "version": "1.1.0"}]}
    client.post("/bulk/nodes/versions", json=pairs)
    assert upstream.requests == []


def test_a_version_missing_from_a_node_fetched_lately_does_not_ask_again(make_mirror, upstream):
    client = pulling(make_mirror, upstream.url).test_client()

    assert client.get("/nodes/alpha/versions/1.0.0").status_code == 200
    assert client.get("/nodes/alpha/versions/9.9.9").status_code == 404
    assert client.get("/nodes/alpha/install?version=9.9.9").status_code == 404
    assert client.get("/archives/alpha/9.9.9/node.zip").status_code == 404
    assert upstream.count("nodes") == 1


def test_a_version_a_held_node_lacks_fetches_the_node_again(make_mirror, upstream, tmp_path):
    mirror = pulling(make_mirror, upstream.url, PULL_THROUGH_MISS_TTL=0)
    older = dump(node("alpha", upstream_version("alpha", "1.0.0")))
    import_into(mirror, write_bundle(tmp_path / "older", older, archived=[]))
    client = mirror.test_client()

    assert client.get("/nodes/alpha/versions/1.1.0").status_code == 200
    assert client.get("/archives/alpha/1.1.0/node.zip").data == archive_bytes("alpha", "1.1.0")
    assert len(pull_through_records(mirror)) == 1
