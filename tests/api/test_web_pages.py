"""The web pages on the read API's catalogue: home for browsers only, search, a pack, a
publisher, status, connecting tools and the custom node download, under a sub-path too."""

import hashlib
import re

import pytest

from tests.bundles import ARCHIVE, ARCHIVE_URL
from tests.dumps import FILLER_NODES, dump, imported, node, version

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def page_text(response) -> str:
    """An HTML answer's body, checked to be a page."""
    assert response.status_code == 200, response.data[:500]
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def test_home_answers_a_browser_with_what_the_mirror_holds(catalogue_client):
    text = page_text(catalogue_client.get("/", headers=HTML))
    assert "<dt>Packs</dt><dd>104</dd>" in text
    assert 'role="search"' in text and 'name="q"' in text
    assert '<svg class="chart"' in text and "<rect" in text


@pytest.mark.parametrize("accept", [None, "application/json", "*/*"])
def test_home_is_not_there_for_json_clients(catalogue_client, accept):
    response = catalogue_client.get("/", headers={"Accept": accept} if accept else {})
    assert response.status_code == 404
    assert response.json["error"] == "Not Found"


def test_search_finds_packs_as_the_api_does(catalogue_client):
    text = page_text(catalogue_client.get("/web/search?q=VIDEO", headers=HTML))
    assert "1 pack found." in text
    assert 'href="/web/packs/pack-two"' in text


def test_search_marks_banned_packs_without_hiding_them(catalogue_client):
    text = page_text(catalogue_client.get("/web/search?q=coins"))
    assert "banned-pack" in text and '<strong class="banned">banned</strong>' in text


def test_search_orders_by_downloads(catalogue_client):
    text = page_text(catalogue_client.get("/web/search?sort=downloads"))
    packs = re.findall(r'href="/web/packs/([^"]+)"', text)
    assert packs[0] == "Pack-One"


def test_search_pages_link_to_the_next_keeping_the_search(catalogue_client):
    text = page_text(catalogue_client.get("/web/search?q=filler&sort=name&page=2"))
    assert f"Page 2 of {-(-FILLER_NODES // 30)}" in text
    assert 'href="/web/search?page=3&amp;q=filler&amp;sort=name"' in text


def test_search_with_a_bad_page_is_a_400_naming_it(catalogue_client):
    response = catalogue_client.get("/web/search?page=0")
    assert response.status_code == 400
    assert "page" in response.json["message"]


def test_pack_page_lists_every_version_newest_first_with_status(catalogue_client):
    text = page_text(catalogue_client.get("/web/packs/Pack-One"))
    order = re.findall(r'<h3 id="v-\d+">(\S+)', text)
    assert order == ["3.0.0", "2.0.0-beta.1", "1.10.0", "1.9.0", "1.2.0", "1.1.0"]
    assert "Status reason: Malware FOUND" in text
    assert 'href="/web/publishers/pub-one"' in text
    assert 'href="https://github.com/ann/ComfyUI-Pack-One"' in text


def test_pack_page_offers_pinned_install_commands(catalogue_client):
    text = page_text(catalogue_client.get("/web/packs/Pack-One"))
    assert 'readonly value="comfy node registry-install Pack-One --version 1.10.0"' in text
    assert 'readonly value="cm-cli install Pack-One@1.10.0"' in text
    # A banned version gets no install command.
    assert "--version 1.2.0" not in text


def test_pack_page_of_another_case_redirects_to_the_published_id(catalogue_client):
    response = catalogue_client.get("/web/packs/pack-one")
    assert response.status_code == 302
    assert response.headers["Location"] == "/web/packs/Pack-One"


def test_pack_page_links_each_mirrored_archive(client, archived_catalogue):
    text = page_text(client.get("/web/packs/Pack-One"))
    links = re.findall(r'href="(/archives/[^"]+)"', text)
    assert links == ["/archives/Pack-One/1.1.0+cu121/node.zip", ARCHIVE_URL]
    assert f"sha256 <code>{hashlib.sha256(ARCHIVE).hexdigest()}</code>" in text
    assert client.get(links[1]).data == ARCHIVE
    # A version whose archive is not mirrored says so, and where upstream had it.
    assert "not mirrored; upstream:" in text


def test_publisher_page_lists_its_packs(catalogue_client):
    text = page_text(catalogue_client.get("/web/publishers/pub-two"))
    assert "Publisher Two" in text
    assert "Packs (2)" in text and "banned-pack" in text


def test_status_page_shows_what_flask_mirror_status_knows(catalogue_client):
    text = page_text(catalogue_client.get("/web/status"))
    assert "<dt>Banned versions</dt><dd>1</dd>" in text
    assert "flask mirror verify" in text
    assert "<td>import</td>" in text


def test_connect_page_names_this_mirror_and_offers_the_custom_node(catalogue_client):
    text = page_text(catalogue_client.get("/web/connect", base_url="http://mirror.corp:8080"))
    assert "<code>http://mirror.corp:8080</code>" in text
    assert "ssh -N -L 8080:mirror.corp:8080" in text
    assert 'href="/web/connect/registry_mirror.py"' in text


def test_custom_node_download_points_the_manager_at_this_mirror(catalogue_client):
    response = catalogue_client.get(
        "/web/connect/registry_mirror.py", base_url="http://mirror.corp:8080"
    )
    assert response.headers["Content-Disposition"] == "attachment; filename=registry_mirror.py"
    source = response.get_data(as_text=True)
    assert 'cnr_utils.base_url = "http://mirror.corp:8080"\n' in source
    compile(source, "registry_mirror.py", "exec")


def test_every_link_and_form_keeps_the_forwarded_prefix(make_mirror):
    client = make_mirror(TRUSTED_PROXIES=1).test_client()
    text = page_text(client.get("/", headers={**HTML, "X-Forwarded-Prefix": "/registry"}))
    targets = re.findall(r'(?:href|src|action)="([^"]+)"', text)
    assert targets and all(target.startswith(("/registry/", "#", "http")) for target in targets), (
        targets
    )


def test_home_charts_the_versions_each_import_added(client, runner, tmp_path):
    three = [version("1.0.0"), version("1.1.0"), version("1.2.0")]
    imported(runner, tmp_path, dump(node("pack-a", *three)), name="first.json")
    imported(runner, tmp_path, dump(node("pack-b", version("0.1.0"))), name="second.json")
    text = page_text(client.get("/", headers=HTML))
    heights = [
        float(height)
        for height in re.findall(r'<rect class="bar import"[^>]* height="([\d.]+)"', text)
    ]
    assert heights == [160.0, 53.3]
    assert "import, 3 versions added</title>" in text and "import, 1 version added</title>" in text


def test_search_finds_packs_by_a_node_class_they_provide(catalogue_client):
    text = page_text(catalogue_client.get("/web/search?comfy_node=ksamplerplus"))
    assert "1 pack found." in text and 'href="/web/packs/Pack-One"' in text


@pytest.mark.parametrize(
    "path", ["/", "/web/search?q=pack", "/web/packs/Pack-One", "/web/status", "/web/connect"]
)
def test_every_field_of_a_page_has_its_label(catalogue_client, path):
    text = page_text(catalogue_client.get(path, headers=HTML))
    fields = re.findall(r"<(?:input|select)(?![^>]*type=\"hidden\")[^>]*\bid=\"([^\"]+)\"", text)
    assert len(fields) == len(re.findall(r"<(?:input|select)(?![^>]*type=\"hidden\")", text))
    labels = set(re.findall(r'<label for="([^"]+)"', text))
    assert fields and set(fields) <= labels
    assert '<html lang="en">' in text and '<main id="main">' in text
