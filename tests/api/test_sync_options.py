"""`flask mirror sync` refusing bad options before it contacts anything."""

import pytest


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        (("--since", "yesterday"), "is not an RFC 3339 date-time"),
        (("--since", "2026-01-01T00:00:00Z", "--full"), "--since and --full contradict"),
        (("--node", "author/repo"), "'author/repo' is not a node id"),
        (("--upstream", "ftp://example.com"), "is not an http(s) base URL"),
    ],
)
def test_bad_options_are_refused_before_anything_is_contacted(app, options, problem):
    result = app.test_cli_runner().invoke(
        args=["mirror", "sync", "--upstream", "http://127.0.0.1:9", *options]
    )
    assert result.exit_code != 0
    assert problem in result.output
