"""`flask mirror sync` carries upstream's node classes: from another instance of this mirror,
within the sync's retries, and past an upstream that has none to give."""

import pytest

from tests.assertions import assert_same_comfy_node_bytes, get_json
from tests.dumps import comfy_node
from tests.fault_upstream import fault_upstream, small_registry

FAST = ("--retries", "2", "--backoff", "0.01", "--connect-timeout", "1", "--read-timeout", "5")


def registry_with_classes() -> dict:
    """tests.fault_upstream.small_registry() whose alpha 1.1.0 and Beta-Pack 2.0.0 list classes."""
    document = small_registry()
    alpha, beta = document["nodes"][0], document["nodes"][1]
    alpha["versions"][1]["comfy_nodes"] = [
        comfy_node("Alpha Loader (Fast)", category="loaders", output_is_list=[False]),
        comfy_node("Alpha/Save+Load|All", return_types='["IMAGE"]'),
    ]
    beta["versions"][0]["comfy_nodes"] = [comfy_node("BetaNode", experimental=True)]
    return document


@pytest.fixture
def upstream(tmp_path):
    """A FaultUpstream (another instance of this mirror) serving registry_with_classes()."""
    with fault_upstream(tmp_path, registry_with_classes()) as server:
        yield server


def every_pair(document: dict) -> list[dict]:
    return [
        {"node_id": item["id"], "version": version["version"]}
        for item in document["nodes"]
        for version in item["versions"]
    ]


def sync(app, url: str, *options: str) -> str:
    result = app.test_cli_runner().invoke(
        args=["mirror", "sync", "--upstream", url, *FAST, *options]
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_a_sync_carries_upstreams_node_classes_and_answers_like_it(upstream, app):
    output = sync(app, upstream.url)
    assert "10 comfy-node lists" in output
    assert "versions' node classes from upstream: 2 added" in output
    assert_same_comfy_node_bytes(upstream.app, app, every_pair(registry_with_classes()))
    assert get_json(app.test_client(), "/comfy-nodes/Alpha/Save+Load|All/node")["id"] == "alpha"


def test_a_sync_into_a_bundle_carries_them_too(upstream, app, empty_mirror, tmp_path):
    sync(app, upstream.url, "--out", str(tmp_path / "bundle"))
    result = empty_mirror.test_cli_runner().invoke(
        args=["mirror", "import", str(tmp_path / "bundle")]
    )
    assert result.exit_code == 0, result.output
    assert_same_comfy_node_bytes(upstream.app, empty_mirror, every_pair(registry_with_classes()))


def test_failed_class_lists_are_retried(upstream, app):
    upstream.fail("comfy-node lists", times=2, status=503)
    output = sync(app, upstream.url)
    assert "; 2 retries" in output
    assert upstream.count("comfy-node lists") == 12
    assert_same_comfy_node_bytes(upstream.app, app, every_pair(registry_with_classes()))


def test_an_upstream_without_the_index_leaves_versions_without_classes(upstream, app):
    # An instance of this mirror from before the index answers 404 to every class list.
    upstream.fail("comfy-node lists", times=None, status=404)
    output = sync(app, upstream.url)
    assert "node classes: 0 of 10 versions list some" in output
    assert get_json(app.test_client(), "/comfy-nodes")["total"] == 0
    assert get_json(app.test_client(), "/nodes/alpha")["id"] == "alpha"
