"""Where the item look-ups ask pull-through mode (MIRROR_PULL_THROUGH) for what they miss.

Only look-ups of one node, version, install, archive or bulk pair do: lists, searches and the
web pages answer from what the mirror holds. A node the mirror holds banned is never fetched
again (its refusal stands).
"""

import os

from flask import Flask, current_app

from blueprints.reading import close_read_connection, read_connection
from database import end_snapshot
from extensions import db
from models import NodeStatus
from schemas.rules import MAX_NODE_ID_LENGTH, NODE_ID_PATTERN
from services.catalog import queries as catalog
from services.dumps.reader import DumpLimits
from services.pull_through import PullThrough, PullThroughSettings

EXTENSION = "pull_through"


def register_pull_through(app: Flask) -> None:
    """Give the app its puller when MIRROR_PULL_THROUGH is set; unset, nothing is contacted."""
    upstream = app.config.get("PULL_THROUGH")
    if not upstream:
        return
    settings = PullThroughSettings(
        upstream,
        miss_ttl=app.config["PULL_THROUGH_MISS_TTL"],
        timeout=app.config["PULL_THROUGH_TIMEOUT"],
        work_dir=os.path.join(app.instance_path, "pull-through"),
        limits=DumpLimits.from_config(app.config),
    )
    store = app.extensions["archive_store"]
    app.extensions[EXTENSION] = PullThrough(settings, store, app.logger.warning)


def pull_missing(*node_ids: str) -> bool:
    """Fetch these nodes from the upstream if pull-through is on and the mirror does not hold
    them banned; True when the request should read again (its snapshot has ended)."""
    puller = current_app.extensions.get(EXTENSION)
    if puller is None:
        return False
    # Ids outside upstream's syntax are never mirrored, so never asked for.
    keys = dict.fromkeys(
        node_id.lower()
        for node_id in node_ids
        if len(node_id) <= MAX_NODE_ID_LENGTH and NODE_ID_PATTERN.fullmatch(node_id)
    )
    wanted = []
    for key in list(keys)[: puller.settings.max_nodes]:
        held = catalog.get_node(read_connection(), key)
        if held is None or held.status != NodeStatus.BANNED:
            wanted.append(key)
    if not wanted:
        return False
    # The fetch writes through its own connections; a read transaction kept open meanwhile
    # would hold back its WAL checkpoint and hide what it stored.
    close_read_connection()
    end_snapshot(db.session)
    puller.pull(db.engine, wanted)
    return True
