"""The web pages' safety: a dump's values shown as text, a Content-Security-Policy on every HTML
answer, errors as pages for browsers only on web paths, and the hashed, long-cached assets."""

import hashlib
import re

import pytest
import sqlalchemy as sa

from extensions import db
from tests.dumps import dump, imported, node, version

HTML = {"Accept": "text/html"}
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def hostile(runner, tmp_path) -> None:
    """A pack whose name, description, changelog, status reason and links carry markup."""
    imported(
        runner,
        tmp_path,
        dump(
            node(
                "hostile-pack",
                version("1.0.0", changelog=f"Fixed {SCRIPT}", status_reason=f"<b>{SCRIPT}</b>"),
                name=f"Evil {SCRIPT}",
                description=f'"><img src=x onerror=alert(2)>{SCRIPT}',
                repository="javascript:alert(3)",
                publisher={"id": "pub-evil", "name": SCRIPT, "website": "https://x.example/\"'"},
            )
        ),
    )


@pytest.mark.parametrize(
    "path", ["/web/packs/hostile-pack", "/web/search?q=hostile", "/web/publishers/pub-evil"]
)
def test_a_dump_s_markup_is_shown_as_text(client, hostile, path):
    text = client.get(path).get_data(as_text=True)
    assert "<script>alert" not in text and "<img src=x" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_a_dump_s_javascript_url_is_not_a_link(client, hostile):
    text = client.get("/web/packs/hostile-pack").get_data(as_text=True)
    assert "<dd>javascript:alert(3)</dd>" in text
    assert 'href="javascript:' not in text


def test_a_search_for_markup_is_shown_as_text(catalogue_client):
    text = catalogue_client.get("/web/search", query_string={"q": SCRIPT}).get_data(as_text=True)
    assert "<script>alert" not in text
    assert "Packs matching “&lt;script&gt;alert(1)&lt;/script&gt;”" in text


@pytest.mark.parametrize(
    "path",
    ["/", "/web/search", "/web/packs/Pack-One", "/web/publishers/pub-one", "/web/status",
     "/web/connect", "/web/packs/nothing-here", "/web/search?page=x"],
)  # fmt: skip
def test_every_html_answer_forbids_inline_scripts_and_remote_resources(catalogue_client, path):
    response = catalogue_client.get(path, headers=HTML)
    assert response.mimetype == "text/html"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    # ...and the pages need nothing else: no inline script, no style attribute, nothing remote.
    text = response.get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)", text)
    assert " style=" not in text and "<style" not in text
    assert not re.search(r'(?:src|href)="(?:https?:)?//', text.split("<main")[0])


@pytest.mark.parametrize(
    "status, path", [(404, "/web/packs/nothing-here"), (400, "/web/search?page=x")]
)
def test_a_browser_gets_web_errors_as_pages(catalogue_client, status, path):
    response = catalogue_client.get(path, headers=HTML)
    assert response.status_code == status and response.mimetype == "text/html"
    assert f"<h1>{status} " in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path, accept",
    [("/nodes/nothing-here", "text/html"), ("/no/such/path", "text/html"),
     ("/web/packs/nothing-here", "application/json"), ("/web/packs/nothing-here", "*/*")],
)  # fmt: skip
def test_api_paths_and_json_clients_get_errors_as_json(catalogue_client, path, accept):
    response = catalogue_client.get(path, headers={"Accept": accept})
    assert response.status_code == 404
    assert response.json["error"] == "Not Found"


def test_a_server_failure_is_a_page_for_a_browser_and_json_for_the_api(make_mirror):
    app = make_mirror(PROPAGATE_EXCEPTIONS=False)
    with app.app_context():
        db.session.execute(sa.text("ALTER TABLE node_versions RENAME TO node_versions_gone"))
        db.session.commit()
    client = app.test_client()
    page = client.get("/web/status", headers=HTML)
    assert page.status_code == 500 and page.mimetype == "text/html"
    assert "see its log" in page.get_data(as_text=True)
    assert "Traceback" not in page.get_data(as_text=True)
    assert client.get("/status", headers=HTML).json["error"] == "Internal Server Error"


def test_the_stylesheet_is_served_under_its_hash_for_a_year(catalogue_client):
    text = catalogue_client.get("/", headers=HTML).get_data(as_text=True)
    for url in re.findall(r'(?:href|src)="(/web/static/[^"]+)"', text):
        response = catalogue_client.get(url)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        digest = url.rsplit(".", 2)[1]
        assert hashlib.sha256(response.data).hexdigest()[:12] == digest
        stale = url.replace(digest, "0" * 12)
        assert catalogue_client.get(stale).status_code == 404
