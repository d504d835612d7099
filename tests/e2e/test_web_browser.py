"""End to end: the web pages in a real browser (headless Chromium) against real gunicorn
serving seed_data/ plus a pack with markup in its values: home, a search, a pack, copying an
install command, downloading an archive, and markup shown as text with no script run. The
home and pack pages' screenshots are saved in the test's folder, or where MIRROR_SCREENSHOTS
names (MIRROR_SCREENSHOTS=docs/screenshots refreshes the README's)."""

import os
from pathlib import Path

import pytest

from tests.browser import chromium
from tests.dumps import dump, node, version, write
from tests.nginx import nginx, nginx_binary
from tests.serving import flask, serve_mirror

SCRIPT = "<script>window.ran = 1; alert(1)</script>"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """seed_data/ and a hostile pack, served by real gunicorn trusting one proxy."""
    folder = tmp_path_factory.mktemp("web")
    hostile = dump(
        node(
            "hostile-pack",
            version("1.0.0", changelog=f"Changes {SCRIPT}"),
            name=f"Hostile {SCRIPT}",
            description=f"Describes {SCRIPT}<img src=x onerror=alert(2)>",
        )
    )
    with serve_mirror(folder, MIRROR_TRUSTED_PROXIES="1") as mirror:
        imported = flask(
            "mirror", "import", str(write(folder / "hostile.json", hostile)), env=mirror.env
        )
        assert imported.returncode == 0, imported.stderr
        yield mirror


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium for the module."""
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser):
    """A fresh browser tab allowed to use the clipboard, recording dialogs and page errors."""
    context = browser.new_context(
        viewport={"width": 1100, "height": 900}, permissions=["clipboard-read", "clipboard-write"]
    )
    tab = context.new_page()
    tab.dialogs, tab.errors = [], []
    tab.on("dialog", lambda dialog: (tab.dialogs.append(dialog.message), dialog.dismiss()))
    tab.on("pageerror", lambda error: tab.errors.append(str(error)))
    yield tab
    context.close()


def test_home_search_pack_copy_and_download(served, page, tmp_path):
    shots = Path(os.environ.get("MIRROR_SCREENSHOTS") or tmp_path)
    page.goto(served.url + "/")
    assert page.locator("h1").inner_text() == "Comfy Registry Mirror"
    assert page.locator("svg.chart rect").count() >= 2  # the seed and the hostile import
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=shots / "home.png", full_page=True)

    page.get_by_label("Search packs").fill("kjnodes")
    page.get_by_label("Search packs").press("Enter")
    page.wait_for_url("**/web/search?q=kjnodes")
    page.locator("ol.packs a[href$='/web/packs/comfyui-kjnodes']").click()
    page.wait_for_url("**/web/packs/comfyui-kjnodes")
    page.screenshot(path=shots / "pack.png")

    command = page.locator("input.command").first.input_value()
    assert command.startswith("comfy node registry-install comfyui-kjnodes --version ")
    page.locator("button.copy").first.click()
    page.locator("button.copy", has_text="Copied").first.wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == command

    with page.expect_download() as download:
        page.get_by_role("link", name="download").first.click()
    with open(download.value.path(), "rb") as archive:
        assert archive.read(2) == b"PK"
    assert page.errors == []


def test_markup_in_a_dump_is_shown_as_text_and_never_run(served, page):
    page.goto(served.url + "/web/packs/hostile-pack")
    assert page.locator("h1").inner_text() == f"Hostile {SCRIPT}"
    page.get_by_text("Changelog").click()
    assert page.locator("pre.text").first.inner_text() == f"Changes {SCRIPT}"
    assert page.locator("main img").count() == 0
    assert page.evaluate("window.ran") is None
    assert page.dialogs == [] and page.errors == []


def test_pages_under_a_sub_path_behind_nginx_keep_it(served, page, tmp_path):
    nginx_binary()
    archives = served.env["MIRROR_ARCHIVE_DIR"]
    with nginx(tmp_path / "nginx", served.url, archives, path_prefix="/registry") as url:
        page.goto(url + "/")
        page.get_by_label("Search packs").fill("kjnodes")
        page.get_by_label("Search packs").press("Enter")
        page.wait_for_url("**/registry/web/search?q=kjnodes")
        page.locator("ol.packs a").first.click()
        page.wait_for_url("**/registry/web/packs/comfyui-kjnodes")
        # The stylesheet came through the prefix too: its rules apply.
        assert page.locator(".install").first.evaluate("e => getComputedStyle(e).display") == "grid"
        with page.expect_download() as download:
            page.get_by_role("link", name="download").first.click()
        assert download.value.url.startswith(url + "/archives/comfyui-kjnodes/")
    assert page.errors == []
