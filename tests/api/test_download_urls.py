"""The download URLs the API gives for mirrored archives: built from the request's host, the
configured public URL or a trusted proxy's headers, and never forged by a dump."""

import pytest

from tests.bundles import (
    ARCHIVE_URL,
    ARCHIVED,
    PLUS,
    UPSTREAM_URL,
    archive_bytes,
    download_urls,
    hold_archives_catalogue,
)
from tests.dumps import dump, node, version, write


@pytest.mark.parametrize(
    "base_url", ["http://mirror.lan:8080", "https://registry.corp", "http://10.0.0.7"]
)
def test_download_url_is_built_from_the_request_host(client, archived_catalogue, base_url):
    urls = download_urls(client, ARCHIVED[:1], base_url=base_url)

    assert urls[ARCHIVED[0]] == f"{base_url}{ARCHIVE_URL}"


@pytest.mark.parametrize("where", ["config", "environment"])
@pytest.mark.parametrize("public_url", ["https://mirror.example/comfy", "https://mirror.example/"])
def test_download_url_is_built_from_the_configured_public_url(
    make_mirror, tmp_path, monkeypatch, where, public_url
):
    if where == "environment":
        monkeypatch.setenv("MIRROR_PUBLIC_URL", public_url)
        config = {}
    else:
        config = {"PUBLIC_BASE_URL": public_url}
    app = make_mirror(**config)
    hold_archives_catalogue(app, tmp_path / "source")

    urls = download_urls(app.test_client(), ARCHIVED[:1], base_url="http://internal:5000")

    assert urls[ARCHIVED[0]] == public_url.rstrip("/") + ARCHIVE_URL


FORWARDED = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "registry.corp",
    "X-Forwarded-Prefix": "/comfy",
}


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param(FORWARDED, f"https://registry.corp/comfy{ARCHIVE_URL}", id="with-prefix"),
        pytest.param(
            {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "registry.corp"},
            f"https://registry.corp{ARCHIVE_URL}",
            id="without-prefix",
        ),
    ],
)
def test_download_url_follows_forwarded_headers_of_a_trusted_proxy(
    make_mirror, tmp_path, headers, expected
):
    app = make_mirror(TRUSTED_PROXIES=1)
    hold_archives_catalogue(app, tmp_path / "source")

    urls = download_urls(app.test_client(), ARCHIVED[:1], headers=headers)

    assert urls[ARCHIVED[0]] == expected


def test_download_url_ignores_forwarded_headers_without_trusted_proxies(client, archived_catalogue):
    urls = download_urls(client, ARCHIVED[:1], headers=FORWARDED)

    assert urls[ARCHIVED[0]] == f"http://localhost{ARCHIVE_URL}"


def test_download_url_escapes_the_version(client, archived_catalogue):
    urls = download_urls(client, [("Pack-One", PLUS)])

    assert urls[("Pack-One", PLUS)] == "http://localhost/archives/Pack-One/1.1.0%2Bcu121/node.zip"


@pytest.mark.parametrize("pair", ARCHIVED, ids=lambda pair: f"{pair[0]}-{pair[1]}")
def test_following_the_download_url_downloads_the_archive(client, archived_catalogue, pair):
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
def test_version_endpoints_point_at_the_mirrors_archive(client, archived_catalogue, path):
    response = client.get(path)

    assert response.status_code == 200
    assert response.json["downloadUrl"] == f"http://localhost{ARCHIVE_URL}"


def test_version_list_points_at_the_mirrors_archives_and_upstream_for_the_rest(
    client, archived_catalogue
):
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
def test_dump_cannot_give_a_download_url_with_control_characters(
    app, archived_catalogue, tmp_path, forged
):
    document = dump(node("forger", version("1.0.0", downloadUrl=forged)))
    path = write(tmp_path / "forged.json", document)

    result = app.test_cli_runner().invoke(args=["mirror", "import", str(path)])

    assert result.exit_code != 0, download_urls(app.test_client(), [("forger", "1.0.0")])
    assert f"{path}: nodes[0].versions[0].downloadUrl: " in result.output
    assert "control characters" in result.output
