"""GET /health, and the X-Forwarded-* headers the app honours only from trusted proxies."""


def test_health_is_plain_ok(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.data == b"OK"
    assert response.mimetype == "text/plain"


def test_forwarded_headers_are_ignored_unless_proxies_are_trusted(client):
    headers = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "registry.example.test",
        "X-Forwarded-Prefix": "/comfy",
    }
    served = client.get("/openapi.json", headers=headers).get_json()
    assert served["servers"] == [{"url": "http://localhost"}]


def test_forwarded_headers_are_honoured_from_trusted_proxies(make_mirror):
    app = make_mirror(TRUSTED_PROXIES=1)
    headers = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "registry.example.test",
        "X-Forwarded-Prefix": "/comfy",
    }
    served = app.test_client().get("/openapi.json", headers=headers).get_json()
    assert served["servers"] == [{"url": "https://registry.example.test/comfy"}]


def test_views_and_commands_share_the_apps_one_archive_store(app):
    from commands.group import archive_store

    store = app.extensions["archive_store"]
    assert store.root == app.config["ARCHIVE_DIR"]
    with app.app_context():
        assert archive_store() is store
