"""Every publisher as the upstream lists it (GET /publishers), so a sync catches a publisher's
own changes.

A node's served JSON embeds its publisher, but an incremental walk lists only the nodes changed
since the last sync, so a publisher whose name, logo, description or status changed while none
of its nodes did would never reach the mirror. One GET /publishers (upstream answers every
publisher in one list) gives them all whole; they join the sync's dump, and the import updates
the publishers that differ and re-makes the served JSON of their nodes. An upstream answering
404 (an older one) is passed over with a warning.
"""

from services.sync.client import UpstreamClient, UpstreamError

ABSENT = (
    "the upstream lists no publishers (GET /publishers answered 404): a publisher changed "
    "without any of its nodes is not caught"
)


def fetch_publishers(client: UpstreamClient, warnings: list[str]) -> list[dict] | None:
    """Every publisher the upstream lists; None (with a warning) when it lists none."""
    status, document, _ = client.get_json("/publishers", [], "publishers", absent={404})
    if status == 404:
        warnings.append(ABSENT)
        return None
    if not isinstance(document, list):
        raise UpstreamError("GET /publishers did not answer a list of publishers.")
    listed = []
    for publisher in document:
        if not isinstance(publisher, dict) or not isinstance(publisher.get("id"), str):
            raise UpstreamError(f"GET /publishers: a publisher without an id: {publisher!r}")
        listed.append(publisher)
    return listed


def add_publishers(document: dict, listed: list[dict]) -> None:
    """Put the listed publishers into the sync's dump, over those its nodes embedded."""
    by_id = {publisher["id"]: publisher for publisher in document["publishers"]}
    by_id.update((publisher["id"], publisher) for publisher in listed)
    document["publishers"] = [by_id[key] for key in sorted(by_id)]
