"""Serving node archives (GET/HEAD /archives/<id>/<version>/node.zip), the download URLs that
point at them, and `flask mirror export --with-archives` round trips."""

import gzip
import json
import os
import tarfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from extensions import db
from models import Node, NodeVersion
from tests.bundles import (
    UPSTREAM_URL,
    archive_bytes,
    download_urls,
    import_into,
    mirror_app,
    sha256,
    stored_files,
    upstream_version,
    write_bundle,
)
from tests.dumps import dump, node, version, write

ONE_YEAR = 31536000
PLUS = "1.1.0+cu121"


def catalogue() -> dict:
    """Mixed-case ids, several statuses, a '+' in a version, and versions without archives."""
    return dump(
        node(
            "Pack-One",
            upstream_version("Pack-One", "1.0.0", createdAt="2024-05-03T03:58:21.019461Z"),
            upstream_version("Pack-One", PLUS, status="NodeVersionStatusPending"),
            upstream_version("Pack-One", "0.9.0", status="NodeVersionStatusDeleted"),
            name="Pack One",
            description="Samplers.",
            publisher={"id": "pub", "name": "Publisher"},
        ),
        node(
            "pack-two",
            upstream_version("pack-two", "0.1.0", status="NodeVersionStatusFlagged"),
            upstream_version("pack-two", "0.0.1"),
        ),
        node("bare-node"),
    )


ARCHIVED = [("Pack-One", "1.0.0"), ("Pack-One", PLUS), ("pack-two", "0.1.0")]
NOT_ARCHIVED = [("Pack-One", "0.9.0"), ("pack-two", "0.0.1")]
ARCHIVE = archive_bytes("Pack-One", "1.0.0")
URL = "/archives/Pack-One/1.0.0/node.zip"


def holding_the_catalogue(app, folder: Path) -> None:
    """Import the catalogue as a bundle with archives for ARCHIVED."""
    import_into(app, write_bundle(folder, catalogue(), ARCHIVED))


@pytest.fixture
def mirror(tmp_path):
    """A mirror holding the catalogue, on its own database and archive directory."""
    with mirror_app(tmp_path / "mirror") as app:
        holding_the_catalogue(app, tmp_path / "source")
        yield app


@pytest.fixture
def client(mirror):
    """An HTTP client of the mirror."""
    return mirror.test_client()


def configured_mirror(tmp_path, **config):
    """A second mirror app, with extra settings, on its own database and archive directory."""
    return mirror_app(tmp_path / "configured", **config)


def test_get_serves_the_archive_bytes_with_immutable_caching(client):
    response = client.get(URL)

    assert response.status_code == 200
    assert response.data == ARCHIVE
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Length"] == str(len(ARCHIVE))
    assert response.headers["ETag"] == f'"{sha256(ARCHIVE)}"'
    assert response.cache_control.public
    assert response.cache_control.max_age == ONE_YEAR
    assert response.cache_control.immutable


def test_head_answers_the_headers_of_get_without_a_body(client):
    got, head = client.get(URL), client.head(URL)

    assert head.status_code == 200
    assert head.data == b""
    for header in ("Content-Type", "Content-Length", "ETag", "Cache-Control"):
        assert head.headers[header] == got.headers[header]


@pytest.mark.parametrize(
    ("requested", "start", "end"),
    [
        pytest.param("bytes=0-9", 0, 9, id="first-ten"),
        pytest.param("bytes=100-", 100, len(ARCHIVE) - 1, id="open-ended"),
        pytest.param("bytes=-20", len(ARCHIVE) - 20, len(ARCHIVE) - 1, id="suffix"),
    ],
)
def test_range_request_gets_206_with_content_range(client, requested, start, end):
    response = client.get(URL, headers={"Range": requested})

    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes {start}-{end}/{len(ARCHIVE)}"
    assert response.data == ARCHIVE[start : end + 1]


def test_if_none_match_with_the_sha256_gets_304(client):
    response = client.get(URL, headers={"If-None-Match": f'"{sha256(ARCHIVE)}"'})

    assert response.status_code == 304
    assert response.data == b""


def test_if_none_match_with_another_etag_gets_the_archive(client):
    response = client.get(URL, headers={"If-None-Match": f'"{"0" * 64}"'})

    assert response.status_code == 200
    assert response.data == ARCHIVE


@pytest.mark.parametrize("node_id", ["Pack-One", "pack-one", "PACK-ONE", "pAcK-oNe"])
def test_node_id_in_any_case_serves_the_archive(client, node_id):
    response = client.get(f"/archives/{node_id}/1.0.0/node.zip")

    assert response.status_code == 200
    assert response.data == ARCHIVE


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/archives/never-mirrored/1.0.0/node.zip", id="unknown-node"),
        pytest.param("/archives/Pack-One/9.9.9/node.zip", id="unknown-version"),
        pytest.param("/archives/Pack-One/1.0.0-X/node.zip", id="version-differing-in-case"),
        pytest.param("/archives/Pack-One/0.9.0/node.zip", id="version-without-archive"),
        pytest.param("/archives/pack-two/0.0.1/node.zip", id="another-without-archive"),
    ],
)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_pair_without_an_archive_is_404(client, path, method):
    response = client.open(path, method=method)

    assert response.status_code == 404
    assert response.mimetype == "application/json"
    if method == "GET":
        assert response.json["error"] == "Not Found"
        assert response.json["message"]


def test_archive_missing_from_storage_is_404_saying_it_is_missing(mirror, client):
    with mirror.app_context():
        digest = db.session.execute(
            sa.select(NodeVersion.archive_sha256).where(NodeVersion.pair_key == "pack-one/1.0.0")
        ).scalar_one()
    os.unlink(Path(mirror.config["ARCHIVE_DIR"]) / digest[:2] / f"{digest}.zip")

    response = client.get(URL)

    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert "missing" in response.json["message"]


@pytest.mark.parametrize(
    "base_url", ["http://mirror.lan:8080", "https://registry.corp", "http://10.0.0.7"]
)
def test_download_url_is_built_from_the_request_host(client, base_url):
    urls = download_urls(client, ARCHIVED[:1], base_url=base_url)

    assert urls[ARCHIVED[0]] == f"{base_url}{URL}"


@pytest.mark.parametrize("where", ["config", "environment"])
@pytest.mark.parametrize("public_url", ["https://mirror.example/comfy", "https://mirror.example/"])
def test_download_url_is_built_from_the_configured_public_url(
    tmp_path, monkeypatch, where, public_url
):
    if where == "environment":
        monkeypatch.setenv("MIRROR_PUBLIC_URL", public_url)
        config = {}
    else:
        config = {"PUBLIC_BASE_URL": public_url}
    with configured_mirror(tmp_path, **config) as app:
        holding_the_catalogue(app, tmp_path / "source")

        urls = download_urls(app.test_client(), ARCHIVED[:1], base_url="http://internal:5000")

    assert urls[ARCHIVED[0]] == public_url.rstrip("/") + URL


FORWARDED = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "registry.corp",
    "X-Forwarded-Prefix": "/comfy",
}


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param(FORWARDED, f"https://registry.corp/comfy{URL}", id="with-prefix"),
        pytest.param(
            {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "registry.corp"},
            f"https://registry.corp{URL}",
            id="without-prefix",
        ),
    ],
)
def test_download_url_follows_forwarded_headers_of_a_trusted_proxy(tmp_path, headers, expected):
    with configured_mirror(tmp_path, TRUSTED_PROXIES=1) as app:
        holding_the_catalogue(app, tmp_path / "source")

        urls = download_urls(app.test_client(), ARCHIVED[:1], headers=headers)

    assert urls[ARCHIVED[0]] == expected


def test_download_url_ignores_forwarded_headers_without_trusted_proxies(client):
    urls = download_urls(client, ARCHIVED[:1], headers=FORWARDED)

    assert urls[ARCHIVED[0]] == f"http://localhost{URL}"


def test_download_url_escapes_the_version(client):
    urls = download_urls(client, [("Pack-One", PLUS)])

    assert urls[("Pack-One", PLUS)] == "http://localhost/archives/Pack-One/1.1.0%2Bcu121/node.zip"


@pytest.mark.parametrize("pair", ARCHIVED, ids=lambda pair: f"{pair[0]}-{pair[1]}")
def test_following_the_download_url_downloads_the_archive(client, pair):
    url = download_urls(client, [pair])[pair]

    response = client.get(url)

    assert response.status_code == 200
    assert response.data == archive_bytes(*pair)


@pytest.mark.parametrize(
    "path",
    [
        "/nodes/Pack-One/install?version=1.0.0",
        "/nodes/Pack-One/install",
        "/nodes/Pack-One/versions/1.0.0",
    ],
)
def test_version_endpoints_point_at_the_mirrors_archive(client, path):
    response = client.get(path)

    assert response.status_code == 200
    assert response.json["downloadUrl"] == f"http://localhost{URL}"


def test_version_list_points_at_the_mirrors_archives_and_upstream_for_the_rest(client):
    response = client.get("/nodes/pack-two/versions")

    urls = {item["version"]: item["downloadUrl"] for item in response.json}
    assert urls == {
        "0.1.0": "http://localhost/archives/pack-two/0.1.0/node.zip",
        "0.0.1": UPSTREAM_URL.format(node_id="pack-two", version="0.0.1"),
    }


@pytest.mark.parametrize(
    "forged",
    [
        pytest.param("\x01mirror\x01.evil.example/node.zip", id="mirror-mark-onto-another-host"),
        pytest.param("\x01mirror\x01/archives/Pack-One/1.0.0/node.zip", id="mirror-mark"),
        pytest.param("https://example.com/a\nb.zip", id="newline"),
    ],
)
def test_dump_cannot_give_a_download_url_with_control_characters(mirror, tmp_path, forged):
    document = dump(node("forger", version("1.0.0", downloadUrl=forged)))
    path = write(tmp_path / "forged.json", document)

    result = mirror.test_cli_runner().invoke(args=["mirror", "import", str(path)])

    assert result.exit_code != 0, download_urls(mirror.test_client(), [("forger", "1.0.0")])
    assert f"{path}: nodes[0].versions[0].downloadUrl: " in result.output
    assert "control characters" in result.output


# Export with archives, then import into an empty mirror.


def export_bundle(app, path: Path):
    """Run `flask mirror export --with-archives PATH`; returns the click result."""
    return app.test_cli_runner().invoke(args=["mirror", "export", "--with-archives", str(path)])


def held_pairs(app) -> list[tuple[str, str]]:
    """Every (node id, version) pair a mirror holds, as published."""
    with app.app_context():
        query = sa.select(Node.id, NodeVersion.version).join(
            NodeVersion, NodeVersion.node_normalized_id == Node.normalized_id
        )
        return sorted(db.session.execute(query).all())


def pairs_to_ask(app) -> list[dict]:
    """Every pair the mirror holds in three casings, plus pairs it lacks."""
    held = held_pairs(app)
    assert held, "the mirror under test holds no versions"
    asked = [
        {"node_id": casing, "version": number}
        for node_id, number in held
        for casing in sorted({node_id, node_id.lower(), node_id.upper()})
    ]
    asked += [
        {"node_id": "Pack-One", "version": "99.99.99"},
        {"node_id": "bare-node", "version": "1.0.0"},
        {"node_id": "never-mirrored", "version": "1.0.0"},
        {"node_id": "ltdrdata/ComfyUI-Impact-Pack", "version": ""},
    ]
    return asked


def assert_same_mirrors(original, reimported) -> None:
    """Both mirrors answer every bulk pair with the same bytes and serve the same archives."""
    body = {"node_versions": pairs_to_ask(original)}
    expected = original.test_client().post("/bulk/nodes/versions", json=body)
    actual = reimported.test_client().post("/bulk/nodes/versions", json=body)
    assert expected.status_code == actual.status_code == 200
    assert b"/archives/" in expected.data
    assert actual.data == expected.data
    for node_id, number in held_pairs(original):
        path = f"/archives/{node_id}/{number}/node.zip"
        want = original.test_client().get(path)
        got = reimported.test_client().get(path)
        assert (got.status_code, got.data, got.headers.get("ETag")) == (
            want.status_code,
            want.data,
            want.headers.get("ETag"),
        ), path
    assert stored_files(reimported) == stored_files(original)


@pytest.fixture
def empty_mirror(tmp_path):
    """A second, still empty mirror with its own database and archive directory."""
    with mirror_app(tmp_path / "empty") as app:
        yield app


@pytest.mark.parametrize("target", ["bundle", "bundle.tar"])
def test_export_with_archives_then_import_reproduces_every_response_and_archive(
    mirror, empty_mirror, tmp_path, target
):
    update = dump(node("pack-two", upstream_version("pack-two", "0.2.0", changelog="Merged.")))
    import_into(mirror, write(tmp_path / "update.json", update))
    result = export_bundle(mirror, tmp_path / target)
    assert result.exit_code == 0, result.output
    assert "3 archives" in result.output

    import_into(empty_mirror, tmp_path / target)

    assert_same_mirrors(mirror, empty_mirror)


@pytest.mark.parametrize("target", ["bundle", "bundle.tar"])
def test_importing_an_exported_bundle_into_its_own_mirror_changes_nothing(mirror, tmp_path, target):
    assert export_bundle(mirror, tmp_path / target).exit_code == 0

    output = import_into(mirror, tmp_path / target, options=["--replace"])

    assert "archives: 3 verified, 0 newly stored" in output
    assert "nothing changed" in output


def test_export_with_archives_is_a_tar_when_the_path_ends_in_tar(mirror, tmp_path):
    assert export_bundle(mirror, tmp_path / "bundle.tar").exit_code == 0

    with tarfile.open(tmp_path / "bundle.tar") as tar:
        names = set(tar.getnames())

    assert "manifest.json" in names
    assert {f"archives/{n}/{v}.zip" for n, v in ARCHIVED} <= names


def test_export_of_the_sample_bundle_round_trips(tmp_path, empty_mirror):
    with mirror_app(tmp_path / "seeded") as seeded:
        assert seeded.test_cli_runner().invoke(args=["mirror", "seed"]).exit_code == 0
        assert export_bundle(seeded, tmp_path / "bundle").exit_code == 0

        import_into(empty_mirror, tmp_path / "bundle")

        assert_same_mirrors(seeded, empty_mirror)


def dump_of(path: Path) -> bytes:
    """The dump bytes of an export: a dump file, or the dump inside a bundle folder or tar."""
    if path.suffix == ".tar":
        with tarfile.open(path) as tar:
            manifest = json.load(tar.extractfile("manifest.json"))
            raw = tar.extractfile(manifest["dump"]["path"]).read()
    elif path.is_dir():
        manifest = json.loads((path / "manifest.json").read_bytes())
        raw = (path / manifest["dump"]["path"]).read_bytes()
    else:
        raw = path.read_bytes()
    return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw


@pytest.mark.parametrize(
    ("target", "options"),
    [
        pytest.param("export.json", (), id="dump"),
        pytest.param("export.json.gz", (), id="dump-gz"),
        pytest.param("bundle", ("--with-archives",), id="bundle"),
        pytest.param("bundle.tar", ("--with-archives",), id="bundle-tar"),
    ],
)
def test_exported_dumps_keep_the_upstream_download_url_never_the_mirrors(
    mirror, tmp_path, target, options
):
    result = mirror.test_cli_runner().invoke(
        args=["mirror", "export", *options, str(tmp_path / target)]
    )
    assert result.exit_code == 0, result.output

    raw = dump_of(tmp_path / target)

    assert b"/archives/" not in raw
    assert b"localhost" not in raw
    assert b"\\u0001" not in raw
    urls = {
        (entry["id"], item["version"]): item.get("downloadUrl")
        for entry in json.loads(raw)["nodes"]
        for item in entry["versions"]
    }
    assert urls == {
        pair: UPSTREAM_URL.format(node_id=pair[0], version=pair[1])
        for pair in ARCHIVED + NOT_ARCHIVED
    }


def existing_folder(path: Path) -> None:
    """A folder with a file in it."""
    path.mkdir()
    (path / "notes.txt").write_text("keep me")


def existing_empty_folder(path: Path) -> None:
    """An empty folder."""
    path.mkdir()


def existing_file(path: Path) -> None:
    """A file."""
    path.write_text("keep me")


@pytest.mark.parametrize(
    ("name", "make"),
    [
        pytest.param("bundle", existing_folder, id="folder"),
        pytest.param("bundle", existing_empty_folder, id="empty-folder"),
        pytest.param("bundle.tar", existing_file, id="tar"),
        pytest.param("bundle", existing_file, id="file"),
    ],
)
def test_export_with_archives_onto_an_existing_path_is_refused(mirror, tmp_path, name, make):
    target = tmp_path / name
    make(target)
    before = sorted(p.name for p in tmp_path.iterdir())
    kept = sorted((p.relative_to(target), p.read_bytes()) for p in target.rglob("*") if p.is_file())

    result = export_bundle(mirror, target)

    assert result.exit_code != 0
    assert f"{target} already exists" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    if target.is_dir():
        after = sorted(
            (p.relative_to(target), p.read_bytes()) for p in target.rglob("*") if p.is_file()
        )
        assert after == kept
    else:
        assert target.read_text() == "keep me"


def test_export_with_archives_refuses_when_an_archive_is_missing_from_storage(mirror, tmp_path):
    for path in Path(mirror.config["ARCHIVE_DIR"]).rglob(f"{sha256(ARCHIVE)}.zip"):
        path.unlink()

    result = export_bundle(mirror, tmp_path / "bundle")

    assert result.exit_code != 0
    assert "archive of Pack-One 1.0.0 is missing from the archive directory" in result.output
    assert not (tmp_path / "bundle").exists()
