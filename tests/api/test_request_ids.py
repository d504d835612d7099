"""X-Request-Id: a proxy's id is kept when short and plain, else a new one is made; every
answer, errors included, carries it back."""

import os
import re
import uuid

import pytest
import sqlalchemy as sa

from blueprints.observe import new_request_id
from extensions import db
from tests.metrics import scrape, value

NEW_ID = re.compile(r"[0-9a-f]{32}")
BULK = "/bulk/nodes/versions"


@pytest.mark.parametrize(
    "sent",
    [
        "0123456789abcdef0123456789abcdef",
        "9b2f4c1e-7a3d-4e8b-b1c2-0d9e8f7a6b5c",
        "edge.lb_01-x",
        "a",
    ],
    ids=["nginx", "uuid", "dotted", "one-character"],
)
def test_an_acceptable_request_id_is_echoed(client, sent):
    assert client.get("/health", headers={"X-Request-Id": sent}).headers["X-Request-Id"] == sent


@pytest.mark.parametrize(
    "sent",
    ["x" * 129, "has space", 'quote"d', "semi;colon", "slash/ed", "tab\there", ""],
    ids=["too-long", "space", "quote", "semicolon", "slash", "tab", "empty"],
)
def test_an_unacceptable_request_id_is_replaced_by_a_new_one(client, sent):
    answered = client.get("/health", headers={"X-Request-Id": sent}).headers["X-Request-Id"]
    assert NEW_ID.fullmatch(answered)


def test_each_request_without_an_id_gets_a_new_one(client):
    ids = {client.get("/health").headers["X-Request-Id"] for _ in range(3)}
    assert len(ids) == 3
    assert all(NEW_ID.fullmatch(made) for made in ids)


@pytest.mark.parametrize(
    ("method", "target", "options", "status"),
    [
        ("GET", "/no/such/path", {}, 404),
        ("DELETE", "/health", {}, 405),
        ("POST", BULK, {"data": b"not json", "content_type": "application/json"}, 400),
        ("GET", "/nodes?search=" + "x" * 5000, {}, 414),
        ("POST", BULK, {"data": b"[" * (5 * 1024 * 1024), "content_type": "application/json"}, 413),
    ],
    ids=["404", "405", "400", "414", "413"],
)
def test_error_answers_carry_the_request_id(client, method, target, options, status):
    headers = {"X-Request-Id": "from-the-proxy"}
    response = client.open(target, method=method, headers=headers, **options)
    assert response.status_code == status
    assert response.headers["X-Request-Id"] == "from-the-proxy"


def test_a_server_failure_carries_the_request_id_and_is_counted(make_mirror):
    app = make_mirror(PROPAGATE_EXCEPTIONS=False)
    with app.app_context():
        db.session.execute(sa.text("ALTER TABLE node_versions RENAME TO node_versions_gone"))
        db.session.commit()
    client = app.test_client()
    labels = {"route": BULK, "method": "POST", "status": "500"}
    before = value(scrape(client), "mirror_http_requests_total", **labels)
    body = {"node_versions": [{"node_id": "a", "version": "1"}]}
    response = client.post(BULK, json=body, headers={"X-Request-Id": "failing-1"})
    assert response.status_code == 500
    assert response.headers["X-Request-Id"] == "failing-1"
    assert value(scrape(client), "mirror_http_requests_total", **labels) == before + 1


def test_new_ids_are_random_version_4_uuids_in_hex():
    made = {new_request_id() for _ in range(2000)}
    assert len(made) == 2000
    for made_id in made:
        parsed = uuid.UUID(made_id)
        assert NEW_ID.fullmatch(made_id) and parsed.hex == made_id
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122


def test_forked_workers_make_ids_of_their_own():
    # gunicorn forks its workers from one loaded app: each must not repeat the others' ids.
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:
        os.write(writing, new_request_id().encode())
        os._exit(0)
    os.waitpid(child, 0)
    childs = os.read(reading, 64).decode()
    os.close(reading)
    os.close(writing)
    assert NEW_ID.fullmatch(childs) and childs != new_request_id()
