"""Walking an upstream registry's public read API: pages of nodes, each node's versions, publishers.

Only what real clients call is used, so the same walk works against https://api.comfy.org and
against another instance of this mirror:
- GET /nodes?page=&limit=100&include_banned=true[&timestamp=][&node_id=...]: the nodes (the
  `timestamp` filter makes a sync incremental; `node_id`, up to 50 at a time, an allow-list).
- GET /nodes/{id}/versions?include_status_reason=true&statuses=<all five>: every version, so
  Deleted (soft-deleted upstream) versions carry over.
- GET /versions pages, only when a node is banned: upstream answers 403 to a banned node's
  version list, but lists its versions among everyone's; failing that its `latest_version` is kept.
- GET /publishers/{id}, only for a publisher a node embeds without its name.
- GET /nodes/{id}/versions/{v}/comfy-nodes for every version found (services/sync/comfy_nodes.py).
"""

from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

from models.statuses import NodeVersionStatus
from services.chunks import chunks
from services.dumps.writer import dump_document
from services.progress import Log, Progress
from services.sync.client import UpstreamClient, UpstreamError
from services.sync.comfy_nodes import fetch_comfy_nodes
from services.timestamps import rfc3339

PAGE_SIZE = 100
NODE_ID_BATCH = 50
ALL_STATUSES = [status.value for status in NodeVersionStatus]
# A publisher embedded without these is fetched whole with GET /publishers/{id}.
PUBLISHER_ESSENTIALS = ("name",)


@dataclass
class UpstreamCatalog:
    """What the walk found: nodes with their versions, publishers, and what it could not get."""

    # By lower-cased id: the node as upstream sent it, without latest_version.
    nodes: dict[str, dict] = field(default_factory=dict)
    versions: dict[str, list[dict]] = field(default_factory=dict)
    publishers: dict[str, dict] = field(default_factory=dict)
    pages: int = 0
    warnings: list[str] = field(default_factory=list)
    # The upstream's clock at its first answer, to take the sync's snapshot time in its terms.
    first_date: datetime | None = None
    # Upstream's node classes of the versions that list some, by (lower-cased id, version).
    comfy_nodes: dict[tuple[str, str], list[dict]] = field(default_factory=dict)
    # Lower-cased ids of every node the listing gave, even those gone before their versions.
    listed: set[str] = field(default_factory=set)

    def as_dump(self, upstream: str, started_at: datetime) -> dict:
        """The catalogue as a dump: publishers once, nodes naming them, versions inside nodes."""
        nodes = []
        for key in sorted(self.nodes):
            node = dict(self.nodes[key])
            publisher = node.pop("publisher", None)
            if isinstance(publisher, dict) and publisher.get("id") in self.publishers:
                node["publisher"] = {"id": publisher["id"]}
            versions: dict[str, dict] = {}
            for version in self.versions.get(key, []):
                if not isinstance(version, dict):
                    continue
                node_id = version.get("node_id")
                if isinstance(node_id, str) and node_id.lower() == key:
                    # Upstream may spell the node id in another case inside its versions.
                    version = {**version, "node_id": node["id"]}
                classes = self.comfy_nodes.get((key, version.get("version")))
                if classes:
                    version = {**version, "comfy_nodes": classes}
                versions.setdefault(str(version.get("version")), version)
            node["versions"] = list(versions.values())
            nodes.append(node)
        publishers = [self.publishers[key] for key in sorted(self.publishers)]
        return dump_document(publishers, nodes, upstream, rfc3339(started_at))


def walk_catalog(
    client: UpstreamClient,
    executor: Executor,
    since: datetime | None,
    node_ids: list[str],
    log: Log,
    phase: Progress,
) -> UpstreamCatalog:
    """Fetch the nodes changed after `since` (all when None), or only `node_ids` when given."""
    catalog = UpstreamCatalog()
    listed = _list_nodes(client, catalog, since, node_ids, log, phase)
    if node_ids:
        # An upstream that ignores node_id would list everything: keep only what was asked.
        wanted = {node_id.lower() for node_id in node_ids}
        listed = {key: node for key, node in listed.items() if key in wanted}
        missing = sorted(wanted - set(listed))
        if missing and since is None:
            catalog.warnings.append(f"not in the upstream: {', '.join(missing)}")
    catalog.listed = set(listed)
    for key, node in listed.items():
        node = dict(node)
        latest = node.pop("latest_version", None)
        catalog.nodes[key] = node
        if isinstance(latest, dict):
            # Only needed if the node's version list is refused (a banned node).
            catalog.versions[key] = [latest]
    _fetch_versions(client, executor, catalog, log, phase)
    node_ids = {key: node["id"] for key, node in catalog.nodes.items()}
    catalog.comfy_nodes = fetch_comfy_nodes(
        client, executor, catalog.versions, node_ids, log, phase
    )
    _fetch_publishers(client, executor, catalog)
    return catalog


def _list_nodes(client, catalog, since, node_ids, log, phase) -> dict[str, dict]:
    """Every node the listing gives, by lower-cased id; walked twice if it moved under us."""
    base = [("limit", str(PAGE_SIZE)), ("include_banned", "true")]
    if since is not None:
        base.append(("timestamp", rfc3339(since)))
    queries = [base]
    if node_ids:
        wanted = sorted({node_id.lower(): node_id for node_id in node_ids}.values())
        queries = [
            base + [("node_id", node_id) for node_id in batch]
            for batch in chunks(wanted, NODE_ID_BATCH)
        ]
    listed: dict[str, dict] = {}
    for _ in range(2):
        step = phase("Listing nodes", len(queries)) if len(queries) > 1 else None
        steady = True
        for query in queries:
            steady &= _walk_pages(
                client, catalog, query, listed, log, phase if step is None else None
            )
            if step is not None:
                step(1)
        if steady:
            break
        log("the upstream's node list changed while it was read; reading it once more")
    return listed


def _walk_pages(client, catalog, query, listed, log, phase) -> bool:
    """Read one listing page by page into `listed`; False if its total moved meanwhile."""
    number, totals, step = 1, set(), None
    while True:
        _, document, date = client.get_json("/nodes", [("page", str(number)), *query], "node pages")
        catalog.pages += 1
        if catalog.first_date is None:
            catalog.first_date = date
        nodes, total, pages = _page_fields(document, "/nodes")
        totals.add(total)
        for node in nodes:
            if not isinstance(node, dict) or not isinstance(node.get("id"), str):
                raise UpstreamError(f"GET /nodes page {number}: a node without an id: {node!r}")
            listed[node["id"].lower()] = node
        log(f"GET /nodes page {number}/{max(pages, 1)}: {len(nodes)} nodes")
        if phase is not None and step is None:
            step = phase("Listing nodes", max(pages, 1))
        if step is not None:
            step(1)
        if number >= pages or not nodes:
            return len(totals) == 1
        number += 1


def _page_fields(document, path: str) -> tuple[list, int, int]:
    """The items, total and page count of a paged answer, checked."""
    items_key = "versions" if path == "/versions" else "nodes"
    if not isinstance(document, dict) or not isinstance(document.get(items_key), list):
        raise UpstreamError(f"GET {path} did not answer a page of {items_key}: is it a registry?")
    total, pages = document.get("total"), document.get("totalPages")
    if not isinstance(total, int) or not isinstance(pages, int):
        raise UpstreamError(f"GET {path} answered a page without total and totalPages.")
    return document[items_key], total, pages


def _node_versions(client: UpstreamClient, node_id: str) -> tuple[int, list | None]:
    path = f"/nodes/{quote(node_id, safe='')}/versions"
    params = [("include_status_reason", "true"), *(("statuses", s) for s in ALL_STATUSES)]
    status, document, _ = client.get_json(path, params, "version lists", absent={403, 404})
    if status == 200 and not isinstance(document, list):
        raise UpstreamError(f"GET {path} did not answer a list of versions.")
    return status, document


def _fetch_versions(client, executor, catalog, log, phase) -> None:
    """Each node's versions, in parallel; banned nodes' through the list of all versions."""
    step = phase("Listing versions", len(catalog.nodes))
    futures = {
        key: executor.submit(_node_versions, client, n["id"]) for key, n in catalog.nodes.items()
    }
    refused, vanished, every = [], [], max(len(futures) // 10, 1)
    try:
        for done, (key, future) in enumerate(futures.items(), 1):
            status, versions = future.result()
            step(1)
            if done % every == 0 or done == len(futures):
                log(f"versions: {done}/{len(futures)} nodes")
            if status == 200:
                catalog.versions[key] = versions
            elif status == 403:
                refused.append(key)
            else:
                vanished.append(key)
    finally:
        for future in futures.values():
            future.cancel()
    for key in vanished:
        catalog.warnings.append(f"node {catalog.nodes.pop(key)['id']} vanished from the upstream")
        catalog.versions.pop(key, None)
    if refused:
        _fetch_refused_versions(client, catalog, set(refused), log)


def _fetch_refused_versions(client, catalog, refused: set[str], log) -> None:
    """Versions of nodes whose list the upstream refuses (banned), from GET /versions pages."""
    found: dict[str, list[dict]] = {key: [] for key in refused}
    number = 1
    params = [
        ("pageSize", str(PAGE_SIZE)),
        ("include_status_reason", "true"),
        *(("statuses", s) for s in ALL_STATUSES),
    ]
    while True:
        status, document, _ = client.get_json(
            "/versions", [("page", str(number)), *params], "version pages", absent={400, 403, 404}
        )
        if status != 200:
            break
        versions, _, pages = _page_fields(document, "/versions")
        for version in versions:
            node_id = version.get("node_id") if isinstance(version, dict) else None
            if isinstance(node_id, str) and node_id.lower() in found:
                found[node_id.lower()].append(version)
        if number >= pages or not versions:
            break
        number += 1
    log(f"GET /versions: {number} pages read for {len(refused)} banned node(s)")
    for key in sorted(refused):
        if found[key]:
            catalog.versions[key] = found[key]
        else:
            kept = len(catalog.versions.get(key, []))
            catalog.warnings.append(
                f"node {catalog.nodes[key]['id']}: the upstream lists none of its versions "
                f"(banned); kept {kept} (its latest)"
            )


def _fetch_publishers(client, executor, catalog) -> None:
    """Publishers as nodes embed them; fetched whole only when an embedded one lacks fields."""
    wanted = set()
    for node in catalog.nodes.values():
        publisher = node.get("publisher")
        if not isinstance(publisher, dict) or not isinstance(publisher.get("id"), str):
            continue
        if all(key in publisher for key in PUBLISHER_ESSENTIALS):
            catalog.publishers[publisher["id"]] = publisher
        else:
            wanted.add(publisher["id"])
    wanted -= set(catalog.publishers)

    def fetch(publisher_id: str):
        path = f"/publishers/{quote(publisher_id, safe='')}"
        return client.get_json(path, [], "publishers", absent={404})

    for publisher_id, (status, document, _) in zip(
        sorted(wanted), executor.map(fetch, sorted(wanted)), strict=True
    ):
        if status == 200 and isinstance(document, dict) and document.get("id") == publisher_id:
            catalog.publishers[publisher_id] = document
        else:
            catalog.warnings.append(f"publisher {publisher_id} is not in the upstream")
