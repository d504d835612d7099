"""Nodes' translations: fetched with --with-translations, and otherwise kept as mirrored.

Upstream's node lists leave translations out; GetNode sends them with include_translations=true.
So --with-translations costs one GET /nodes/{id}?include_translations=true per node the walk
found (every node on a full sync, the changed ones on an incremental one), made in parallel like
the version lists. A node the upstream refuses there (403: banned; 404: gone meanwhile) keeps
what the mirror holds.

A sync into this mirror that did not fetch a node's translations puts the mirrored ones into its
dump, since the import writes a node whole: a sync that did not ask never wipes them.
"""

from concurrent.futures import Executor
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import Node
from services.chunks import chunks
from services.sync.client import UpstreamClient


def _node_translations(client: UpstreamClient, node_id: str) -> tuple[int, object]:
    path = f"/nodes/{quote(node_id, safe='')}"
    params = [("include_translations", "true")]
    status, document, _ = client.get_json(path, params, "node translations", absent={403, 404})
    return status, document


def fetch_translations(
    client: UpstreamClient, executor: Executor, nodes: dict[str, dict]
) -> set[str]:
    """Set each node's translations (by lower-cased id) as upstream's GetNode sends them;
    return the ids of the nodes it answered for."""
    keys = sorted(nodes)
    answers = executor.map(lambda key: _node_translations(client, nodes[key]["id"]), keys)
    fetched = set()
    for key, (status, document) in zip(keys, answers, strict=True):
        if status != 200 or not isinstance(document, dict):
            continue
        fetched.add(key)
        if document.get("translations") is None:
            # The upstream holds none for this node (any the mirror held were removed).
            nodes[key].pop("translations", None)
        else:
            nodes[key]["translations"] = document["translations"]
    return fetched


def keep_mirrored_translations(session: Session, document: dict, fetched: set[str]) -> None:
    """Give each of the dump's nodes whose translations were not fetched those it has here."""
    wanted = {
        node["id"].lower(): node
        for node in document["nodes"]
        if "translations" not in node and node["id"].lower() not in fetched
    }
    for chunk in chunks(sorted(wanted)):
        query = sa.select(Node.normalized_id, Node.translations).where(
            Node.normalized_id.in_(chunk)
        )
        for key, translations in session.execute(query):
            if translations is not None:
                wanted[key]["translations"] = translations
