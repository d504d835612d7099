"""`flask mirror sync` learns what upstream removed or changed: mirror A (real gunicorn) is the
upstream, changed between syncs by imports; B syncs from it. A --full sync lists the nodes and
publishers A no longer has, --prune removes them (all or nothing, archives no other version
shares included); a publisher changed alone reaches B by an incremental sync; translations are
carried with --with-translations and kept without it."""

import json
from contextlib import contextmanager

import sqlalchemy as sa

from extensions import db
from models import ImportRecord
from services.sync.publishers import ABSENT
from tests.assertions import get_json
from tests.bundles import (
    archive_bytes,
    content_addressed,
    mirror_state,
    stored_files,
    write_bundle,
)
from tests.dumps import comfy_node, dump, node, version, write
from tests.e2e.test_sync import FAST, sync
from tests.serving import flask, serve_mirror

STAYS = {"id": "stays", "name": "Stays", "description": "Still publishing."}
LEAVES = {"id": "leaves", "name": "Leaves", "description": "Gone upstream."}
KEEP = node(
    "Keep-Pack",
    version("1.0.0", comfy_nodes=[comfy_node("KeepSampler")]),
    name="Keep",
    publisher={"id": "stays"},
)
GONE = node(
    "gone-pack",
    version("1.0.0"),
    version("2.0.0", comfy_nodes=[comfy_node("GoneSampler")]),
    name="Gone",
    publisher={"id": "leaves"},
)
# gone-pack 1.0.0 is published with the very bytes of Keep-Pack 1.0.0: one archive file for both.
SHARED = archive_bytes("Keep-Pack", "1.0.0")


@contextmanager
def served_a(tmp_path, *nodes: dict, publishers: list[dict]):
    """Mirror A under gunicorn, holding `nodes` with an archive for each version."""
    (tmp_path / "a").mkdir()
    with serve_mirror(tmp_path / "a", seeded=False) as a:
        bundle = write_bundle(
            tmp_path / "a-bundle",
            dump(*nodes, publishers=publishers),
            contents={("gone-pack", "1.0.0"): SHARED},
        )
        change_a(a, bundle)
        yield a


def change_a(served, path, *options: str) -> None:
    """Import a dump or bundle into A."""
    result = flask("mirror", "import", *options, str(path), env=served.env)
    assert result.returncode == 0, result.stderr


def sync_result(app, url: str, *options: str):
    """Run a sync into `app`; the click result, whatever its exit status."""
    return app.test_cli_runner().invoke(args=["mirror", "sync", "--upstream", url, *FAST, *options])


def last_record(app) -> dict:
    """The summary of the mirror's newest import record."""
    with app.app_context():
        query = sa.select(ImportRecord.summary).order_by(ImportRecord.id.desc()).limit(1)
        return db.session.execute(query).scalar_one()


def verified(app) -> str:
    """`flask mirror verify`'s output, which must find no problem."""
    result = app.test_cli_runner().invoke(args=["mirror", "verify"])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_full_sync_lists_what_upstream_removed_and_prune_removes_it(make_mirror, tmp_path):
    b = make_mirror()
    client = b.test_client()
    work = ("--work-dir", str(tmp_path / "work"))
    with served_a(tmp_path, KEEP, GONE, publishers=[STAYS, LEAVES]) as a:
        sync(b, a.url, "--with-archives", *work)
        files = stored_files(b)
        assert sorted(files.values()) == sorted(
            content_addressed(SHARED, archive_bytes("gone-pack", "2.0.0")).values()
        )
        # A no longer has gone-pack, nor its publisher.
        change_a(a, write(tmp_path / "without.json", dump(KEEP, publishers=[STAYS])), "--replace")

        listed = sync(b, a.url, "--full", *work)
        assert "1 nodes no longer upstream: gone-pack (use --prune to remove them)" in listed
        assert (
            "1 publishers no longer upstream and without nodes: leaves (use --prune to remove "
            "them)" in listed
        )
        assert get_json(client, "/nodes/gone-pack")["name"] == "Gone"
        assert stored_files(b) == files

        pruned = sync(b, a.url, "--full", "--prune", "--with-archives", *work)

    assert (
        "removed 1 node(s) no longer upstream: gone-pack, with 2 version(s) and 1 archive file(s)"
        in pruned
    )
    assert "removed 1 publisher(s) no longer upstream and without nodes: leaves" in pruned
    assert "nodes: 0 added, 0 updated, 1 unchanged, 1 removed" in pruned
    summary = last_record(b)
    assert (summary["nodes"]["removed"], summary["versions"]["removed"]) == (1, 2)
    assert summary["publishers"]["removed"] == 1
    # The shared archive stays for Keep-Pack; gone-pack 2.0.0's own file went.
    assert sorted(stored_files(b).values()) == sorted(content_addressed(SHARED).values())
    for path in ("/nodes/gone-pack", "/publishers/leaves", "/comfy-nodes/GoneSampler/node"):
        assert client.get(path).status_code == 404, path
    assert [n["id"] for n in get_json(client, "/nodes?include_banned=true")["nodes"]] == [
        "Keep-Pack"
    ]
    assert get_json(client, "/nodes/Keep-Pack/install")["version"] == "1.0.0"
    assert client.get("/archives/Keep-Pack/1.0.0/node.zip").data == SHARED
    status = json.loads(b.test_cli_runner().invoke(args=["mirror", "status", "--json"]).output)
    assert (status["nodes"], status["versions"]) == (1, 1)
    assert "No problems" in verified(b)


def test_prune_needs_a_full_sync_into_this_mirror(app, tmp_path):
    url = "http://127.0.0.1:9"  # nothing is contacted: refused first
    cases = [
        ((), "--prune needs --full"),
        (("--full", "--node", "gone-pack"), "cannot go with --node or --nodes-file"),
        (("--full", "--out", str(tmp_path / "out")), "flask mirror import --replace"),
    ]
    for options, message in cases:
        result = sync_result(app, url, "--prune", *options)
        assert result.exit_code == 2, result.output
        assert message in result.output
    assert not (tmp_path / "out").exists()


def test_a_prune_whose_import_is_refused_removes_nothing(app, misbehaving_upstream, tmp_path):
    work = ("--work-dir", str(tmp_path / "work"))
    sync(app, misbehaving_upstream.url, *work)
    before = mirror_state(app)

    def without_delta(page):
        page["nodes"] = [item for item in page["nodes"] if item["id"] != "delta"]
        return {**page, "total": len(page["nodes"])}

    def break_one_date(versions):
        return [
            {**v, "createdAt": "last tuesday"} if v["version"] == "1.1.0" else v for v in versions
        ]

    misbehaving_upstream.rewrites["node pages"] = without_delta
    misbehaving_upstream.rewrites["version lists"] = break_one_date
    result = sync_result(app, misbehaving_upstream.url, "--full", "--prune", *work)

    assert result.exit_code == 1, result.output
    assert "failed; the mirror is unchanged" in result.output
    assert mirror_state(app) == before
    assert get_json(app.test_client(), "/nodes/delta")["id"] == "delta"


def test_prune_refuses_an_upstream_that_lists_no_node(make_mirror, tmp_path):
    b = make_mirror()
    with served_a(tmp_path, KEEP, publishers=[STAYS]) as a:
        sync(b, a.url, "--work-dir", str(tmp_path / "work"))
        change_a(a, write(tmp_path / "empty.json", dump(publishers=[])), "--replace")
        result = sync_result(b, a.url, "--full", "--prune", "--work-dir", str(tmp_path / "work"))
    assert result.exit_code == 1, result.output
    assert "the upstream lists no nodes at all" in result.output
    assert get_json(b.test_client(), "/nodes/Keep-Pack")["name"] == "Keep"


def test_a_publisher_changed_alone_reaches_an_incremental_sync(make_mirror, tmp_path):
    b = make_mirror()
    client = b.test_client()
    work = ("--work-dir", str(tmp_path / "work"))
    with served_a(tmp_path, KEEP, publishers=[STAYS]) as a:
        first = sync(b, a.url, *work)
        assert "1 publishers" in first
        renamed = {**STAYS, "name": "Stays On", "logo": "https://example.com/stays.png"}
        change_a(a, write(tmp_path / "renamed.json", dump(publishers=[renamed])))

        output = sync(b, a.url, *work)
        unchanged = sync(b, a.url, *work)

    assert "incremental: nodes changed since" in output
    assert "nodes: 0 in 1 page(s)" in output
    assert "publishers: 0 added, 1 updated, 0 unchanged, 0 removed" in output
    publisher = get_json(client, "/publishers/stays")
    assert (publisher["name"], publisher["logo"]) == ("Stays On", "https://example.com/stays.png")
    # Every node's served JSON embeds its publisher: re-made with it.
    assert get_json(client, "/nodes/Keep-Pack")["publisher"]["name"] == "Stays On"
    assert get_json(client, "/nodes?limit=10")["nodes"][0]["publisher"]["name"] == "Stays On"
    assert "publishers: 0 added, 0 updated, 1 unchanged, 0 removed" in unchanged
    verified(b)


def test_an_upstream_without_a_publisher_list_is_passed_over(app, misbehaving_upstream, tmp_path):
    misbehaving_upstream.fail("other", times=None, status=404, within="/publishers")
    result = sync_result(app, misbehaving_upstream.url, "--work-dir", str(tmp_path / "work"))
    assert result.exit_code == 0, result.output
    assert f"warning: {ABSENT}" in result.output
    assert app.test_client().get("/nodes/alpha").status_code == 200


TRANSLATED = {"zh": {"name": "Keep in Chinese"}}


def test_translations_are_carried_when_asked_and_kept_otherwise(make_mirror, tmp_path):
    b = make_mirror()
    client = b.test_client()
    work = ("--work-dir", str(tmp_path / "work"))
    translated = {**KEEP, "translations": TRANSLATED}
    with served_a(tmp_path, translated, GONE, publishers=[STAYS, LEAVES]) as a:
        first = sync(b, a.url, "--with-translations", *work)
        assert "2 node translations" in first
        assert get_json(client, "/nodes/Keep-Pack?include_translations=true")["translations"] == (
            TRANSLATED
        )
        # A changes the node (not its translations): a sync without the flag keeps B's.
        described = {**translated, "description": "Now described."}
        change_a(a, write(tmp_path / "described.json", dump(described)))
        plain = sync(b, a.url, *work)
        assert "nodes: 1 in 1 page(s)" in plain
        assert "node translations" not in plain
        kept = get_json(client, "/nodes/Keep-Pack?include_translations=true")
        assert (kept["description"], kept["translations"]) == ("Now described.", TRANSLATED)
        # A full sync without the flag keeps them too.
        sync(b, a.url, "--full", *work)
        assert get_json(client, "/nodes/Keep-Pack?include_translations=true")["translations"] == (
            TRANSLATED
        )
        # New translations upstream reach B with the flag: one request per changed node.
        retranslated = {**described, "translations": {"ja": {"name": "Keep in Japanese"}}}
        change_a(a, write(tmp_path / "retranslated.json", dump(retranslated)))
        carried = sync(b, a.url, "--with-translations", *work)
    assert "1 node translations" in carried
    assert get_json(client, "/nodes/Keep-Pack?include_translations=true")["translations"] == {
        "ja": {"name": "Keep in Japanese"}
    }
    assert "translations" not in get_json(client, "/nodes/Keep-Pack")
    verified(b)
