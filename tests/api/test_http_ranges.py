"""Range requests on GET/HEAD /archives/...: answered as RFC 9110 section 14 says."""

import random

import pytest

from tests.bundles import import_into, mirror_app, sha256, upstream_version, write_bundle
from tests.dumps import dump, node

SIZE = 1180
ARCHIVE = random.Random(1180).randbytes(SIZE)
URL = "/archives/pack-one/1.0.0/node.zip"
WHOLE = (0, SIZE - 1)
ETAG = f'"{sha256(ARCHIVE)}"'


@pytest.fixture
def client(tmp_path):
    """A client of a mirror holding one 1,180-byte archive."""
    document = dump(node("pack-one", upstream_version("pack-one", "1.0.0")))
    with mirror_app(tmp_path / "mirror") as app:
        bundle = write_bundle(
            tmp_path / "bundle", document, contents={("pack-one", "1.0.0"): ARCHIVE}
        )
        import_into(app, bundle)
        yield app.test_client()


@pytest.mark.parametrize(
    ("requested", "first", "last"),
    [
        pytest.param("bytes=0-9", 0, 9, id="first-ten"),
        pytest.param("bytes=0-0", 0, 0, id="first-byte"),
        pytest.param("bytes=100-199", 100, 199, id="middle"),
        pytest.param("bytes=1179-", 1179, 1179, id="open-ended-last-byte"),
        pytest.param("bytes=0-99999", *WHOLE, id="last-past-the-end"),
        pytest.param("bytes=-1", 1179, 1179, id="suffix-of-one"),
        pytest.param("bytes=-1180", *WHOLE, id="suffix-of-the-whole"),
        pytest.param("bytes=-2000", *WHOLE, id="suffix-longer-than-the-archive"),
        pytest.param("BYTES=0-9", 0, 9, id="unit-in-capitals"),
        pytest.param("bytes=0-9,", 0, 9, id="empty-list-element"),
    ],
)
def test_satisfiable_single_range_gets_206_with_its_bytes(client, requested, first, last):
    response = client.get(URL, headers={"Range": requested})

    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes {first}-{last}/{SIZE}"
    assert response.headers["Content-Length"] == str(last - first + 1)
    assert response.data == ARCHIVE[first : last + 1]


@pytest.mark.parametrize(
    "requested",
    [
        pytest.param("items=0-1", id="unknown-unit"),
        pytest.param("pages=-2000", id="unknown-unit-with-suffix"),
        pytest.param("bytes=0-1,5-6", id="two-ranges"),
        pytest.param("bytes=0-1, 3-4, -5", id="three-ranges"),
        pytest.param("bytes=5000-6000,7000-", id="two-unsatisfiable-ranges"),
        pytest.param("", id="empty"),
    ],
)
def test_range_that_is_ignored_gets_the_whole_archive(client, requested):
    response = client.get(URL, headers={"Range": requested})

    assert response.status_code == 200
    assert "Content-Range" not in response.headers
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.data == ARCHIVE


@pytest.mark.parametrize(
    ("requested", "problem"),
    [
        pytest.param("bytes=1180-", "starts past the end", id="starts-at-the-end"),
        pytest.param("bytes=5000-6000", "starts past the end", id="starts-past-the-end"),
        pytest.param("bytes=-0", "empty suffix", id="empty-suffix"),
        pytest.param("bytes=5-2", "not a valid byte range", id="last-before-first"),
        pytest.param("bytes=abc", "not a valid byte range", id="not-numbers"),
        pytest.param("bytes=1-2-3", "not a valid byte range", id="two-dashes"),
        pytest.param("bytes=+1-2", "not a valid byte range", id="signed"),
        pytest.param("bytes=", "not a valid byte range", id="no-range"),
        pytest.param("bytes", "not a valid byte range", id="no-equals-sign"),
    ],
)
def test_unsatisfiable_or_invalid_single_range_gets_416_naming_it(client, requested, problem):
    response = client.get(URL, headers={"Range": requested})

    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{SIZE}"
    assert response.mimetype == "application/json"
    assert response.json["error"] == "Requested Range Not Satisfiable"
    assert problem in response.json["message"]
    assert repr(requested) in response.json["message"]


def test_head_with_a_range_answers_the_headers_of_get(client):
    got = client.get(URL, headers={"Range": "bytes=-2000"})
    head = client.head(URL, headers={"Range": "bytes=-2000"})

    assert head.status_code == got.status_code == 206
    assert head.data == b""
    for header in ("Content-Range", "Content-Length", "ETag"):
        assert head.headers[header] == got.headers[header]


@pytest.mark.parametrize(
    ("if_range", "status", "body"),
    [
        pytest.param(ETAG, 206, ARCHIVE[-2000:], id="same-archive"),
        pytest.param(f'"{"0" * 64}"', 200, ARCHIVE, id="another-archive"),
    ],
)
def test_if_range_serves_the_range_only_of_the_same_archive(client, if_range, status, body):
    response = client.get(URL, headers={"Range": "bytes=-2000", "If-Range": if_range})

    assert response.status_code == status
    assert response.data == body


def test_range_with_a_matching_if_none_match_gets_304(client):
    response = client.get(URL, headers={"Range": "bytes=-2000", "If-None-Match": ETAG})

    assert response.status_code == 304
    assert response.data == b""
