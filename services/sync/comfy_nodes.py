"""Fetching upstream's node classes of each version the walk found, into the sync's catalogue.

GET /nodes/{id}/versions/{v}/comfy-nodes?page=N&limit=8192 (upstream's largest page), one
request per version unless a pack registers more classes than that; within the client's retries
and the sync's concurrency. A version the upstream answers 403 or 404 for (an instance of this
mirror older than the node-class index answers 404) has none.
"""

from concurrent.futures import Executor
from urllib.parse import quote

from services.progress import Log, Progress
from services.sync.client import UpstreamClient, UpstreamError

# Upstream's largest ListComfyNodes page.
COMFY_NODES_PAGE_SIZE = 8192
REQUEST_KIND = "comfy-node lists"


def version_comfy_nodes(client: UpstreamClient, node_id: str, version: str) -> list[dict]:
    """Every node class upstream lists for one version, page by page."""
    path = f"/nodes/{quote(node_id, safe='')}/versions/{quote(version, safe='')}/comfy-nodes"
    found: list[dict] = []
    number = 1
    while True:
        params = [("page", str(number)), ("limit", str(COMFY_NODES_PAGE_SIZE))]
        status, document, _ = client.get_json(path, params, REQUEST_KIND, absent={403, 404})
        if status != 200:
            return found
        listed = document.get("comfy_nodes") if isinstance(document, dict) else None
        pages = document.get("totalNumberOfPages") if isinstance(document, dict) else None
        if not isinstance(listed, list) or not isinstance(pages, int):
            raise UpstreamError(
                f"GET {path} did not answer a page of comfy_nodes with totalNumberOfPages."
            )
        found.extend(listed)
        if number >= pages or not listed:
            return found
        number += 1


def fetch_comfy_nodes(
    client: UpstreamClient,
    executor: Executor,
    versions: dict[str, list[dict]],
    node_ids: dict[str, str],
    log: Log,
    phase: Progress,
) -> dict[tuple[str, str], list[dict]]:
    """The classes of every version in `versions` (by node key), in parallel: non-empty lists
    by (node key, version)."""
    wanted = [
        (key, version["version"])
        for key, listed in versions.items()
        for version in listed
        if isinstance(version, dict) and isinstance(version.get("version"), str)
    ]
    step = phase("Listing node classes", len(wanted))
    futures = {
        pair: executor.submit(version_comfy_nodes, client, node_ids[pair[0]], pair[1])
        for pair in wanted
    }
    found: dict[tuple[str, str], list[dict]] = {}
    try:
        for pair, future in futures.items():
            classes = future.result()
            step(1)
            if classes:
                found[pair] = classes
    finally:
        for future in futures.values():
            future.cancel()
    log(f"node classes: {len(found)} of {len(wanted)} versions list some")
    return found
