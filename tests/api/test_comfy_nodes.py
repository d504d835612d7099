"""Look-ups by ComfyUI node class answer a clear 404: dumps carry no node-class index."""

import pytest

from tests.assertions import assert_error


@pytest.mark.parametrize(
    "url,names",
    [
        ("/comfy-nodes/KSampler/node", "'KSampler'"),
        ("/nodes/comfyui-kjnodes/versions/1.0.0/comfy-nodes", "comfyui-kjnodes 1.0.0"),
    ],
)
def test_node_class_look_ups_say_the_mirror_has_no_index(client, url, names):
    message = assert_error(client.get(url), 404, "no index of ComfyUI node classes", names)
    assert "requested URL was not found" not in message


def test_node_class_look_ups_are_in_the_openapi_document(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    assert paths["/comfy-nodes/{comfyNodeName}/node"]["get"]["operationId"] == (
        "GetNodeByComfyNodeName"
    )
    assert "/nodes/{nodeId}/versions/{version}/comfy-nodes" in paths
