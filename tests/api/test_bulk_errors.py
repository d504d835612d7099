"""POST /bulk/nodes/versions refusals, and the one JSON error shape of every error."""

import json

import pytest
import sqlalchemy as sa

from extensions import db
from models import Publisher
from tests.assertions import assert_error


def post_raw(client, raw: bytes, content_type: str = "application/json"):
    return client.post("/bulk/nodes/versions", data=raw, headers={"Content-Type": content_type})


@pytest.mark.parametrize(
    "raw,phrase",
    [
        (b"", "body is empty"),
        (b"   ", "body is empty"),
        (b"not json", "not valid JSON"),
        (b'{"node_versions": [', "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[]", "Invalid input type"),
        (b'"node_versions"', "Invalid input type"),
        (b"null", "Invalid input type"),
        (b"{}", "node_versions: Missing data for required field."),
        (b'{"node_versions": "a"}', "node_versions: Not a valid list."),
        (b'{"node_versions": null}', "node_versions: Field may not be null."),
        (b'{"node_versions": {"node_id": "a"}}', "node_versions: Not a valid list."),
        (b'{"node_versions": [1]}', "node_versions[0]: Invalid input type."),
        (b'{"node_versions": [["a", "1.0.0"]]}', "node_versions[0]: Invalid input type."),
        (b'{"node_versions": [{"version": "1"}]}', "node_versions[0].node_id: Missing data"),
        (b'{"node_versions": [{"node_id": "a"}]}', "node_versions[0].version: Missing data"),
        (
            b'{"node_versions": [{"node_id": 5, "version": "1"}]}',
            "node_versions[0].node_id: Not a valid string.",
        ),
        (
            b'{"node_versions": [{"node_id": "a", "version": null}]}',
            "node_versions[0].version: Field may not be null.",
        ),
        (
            b'{"node_versions": [{"node_id": "a", "version": 1.5}]}',
            "node_versions[0].version: Not a valid string.",
        ),
    ],
)
def test_malformed_body_is_refused_naming_the_place(client, raw, phrase):
    assert_error(post_raw(client, raw), 400, phrase)


def test_bad_item_deep_in_a_batch_is_named_by_its_index(client):
    items = [{"node_id": f"pack-{i}", "version": "1.0.0"} for i in range(5)]
    items[3]["version"] = 3
    message = assert_error(client.post("/bulk/nodes/versions", json={"node_versions": items}), 400)
    assert message == "node_versions[3].version: Not a valid string."


def test_every_bad_item_is_named(client):
    items = [{"node_id": 1, "version": "1"}, {"node_id": "ok", "version": "1"}, {"node_id": "a"}]
    message = assert_error(client.post("/bulk/nodes/versions", json={"node_versions": items}), 400)
    assert "node_versions[0].node_id" in message
    assert "node_versions[2].version" in message
    assert "node_versions[1]" not in message


def test_body_is_parsed_as_json_whatever_the_content_type(client):
    response = post_raw(client, b'{"node_versions": []}', content_type="text/plain")
    assert response.status_code == 200
    assert response.get_json() == {"node_versions": []}


@pytest.fixture
def small_app(make_mirror):
    """A mirror taking at most 10 pairs and 2048 bytes of body."""
    return make_mirror(BULK_MAX_ITEMS=10, MAX_CONTENT_LENGTH=2048)


def test_batch_over_the_item_cap_is_refused_naming_the_cap(small_app):
    client = small_app.test_client()
    items = [{"node_id": "a", "version": str(i)} for i in range(11)]
    assert_error(client.post("/bulk/nodes/versions", json={"node_versions": items}), 400, "10")
    ok = client.post("/bulk/nodes/versions", json={"node_versions": items[:10]})
    assert ok.status_code == 200
    assert len(ok.get_json()["node_versions"]) == 10


def test_default_item_cap_allows_at_least_5000_pairs(client):
    items = [{"node_id": f"pack-{i}", "version": "1.0.0"} for i in range(5000)]
    response = client.post("/bulk/nodes/versions", json={"node_versions": items})
    assert response.status_code == 200
    assert len(response.get_json()["node_versions"]) == 5000


def test_body_over_the_size_limit_is_413_in_the_error_shape(small_app):
    raw = json.dumps({"node_versions": [{"node_id": "a" * 90, "version": "1"}] * 40}).encode()
    assert len(raw) > 2048
    assert_error(post_raw(small_app.test_client(), raw), 413)


def test_unknown_path_is_404_in_the_error_shape(client):
    assert_error(client.get("/no/such/path"), 404)


def test_wrong_method_is_405_in_the_error_shape_with_allow(client):
    response = client.get("/bulk/nodes/versions")
    assert_error(response, 405)
    assert "POST" in response.headers["Allow"]


@pytest.fixture
def failing_app(make_mirror):
    """An app whose database loses its versions table (renamed away), so look-ups fail for real."""
    return make_mirror(PROPAGATE_EXCEPTIONS=False)


def test_server_failure_is_500_in_the_error_shape_leaking_nothing(failing_app):
    with failing_app.app_context():
        db.session.execute(sa.text("ALTER TABLE node_versions RENAME TO node_versions_gone"))
        db.session.commit()
    response = failing_app.test_client().post(
        "/bulk/nodes/versions", json={"node_versions": [{"node_id": "a", "version": "1"}]}
    )
    message = assert_error(response, 500)
    for leak in ("node_versions", "sqlite", "Traceback", "SELECT"):
        assert leak not in message


def test_server_failure_rolls_the_session_back(failing_app):
    @failing_app.post("/test-only/fail-after-write")
    def fail_after_write():
        db.session.add(Publisher(id="half-written"))
        db.session.flush()
        raise RuntimeError("boom")

    client = failing_app.test_client()
    assert_error(client.post("/test-only/fail-after-write"), 500)
    with failing_app.app_context():
        assert db.session.get(Publisher, "half-written") is None
