"""The web pages' views: each reads through services/ and renders one template."""

import json

from flask import Response, redirect, render_template, url_for
from werkzeug.exceptions import NotFound

from blueprints.operations import query_arguments
from blueprints.responses import public_base_url
from blueprints.status import status_document
from blueprints.web import WEB_PREFIX, bp, wants_html
from blueprints.web.chart import history_chart
from extensions import db
from models import NodeStatus
from schemas.web import PublisherPageQuerySchema, SearchPageQuerySchema
from services.catalog import publishers
from services.catalog import queries as catalog
from services.catalog.pages import NODE_ORDERS, find_pack, import_history, version_rows
from services.schema import head_revision

PAGE_SIZE = 30
# The one-file custom node that points ComfyUI-Manager at this mirror (README: ComfyUI-Manager).
CUSTOM_NODE_NAME = "registry_mirror.py"


def page(template: str, **values) -> Response:
    """A rendered page as an HTML response."""
    return Response(render_template(f"web/{template}", **values), mimetype="text/html")


@bp.get("/")
def home():
    """What the mirror holds and how fresh it is, with a search box; HTML clients only."""
    if not wants_html():
        raise NotFound("The API has no resource at /; the web pages are for browsers.")
    history = import_history(db.session)
    return page(
        "home.html",
        status=status_document(),
        chart=history_chart(history),
        revision=head_revision(),
    )


@bp.get(f"{WEB_PREFIX}/search")
def search():
    """Packs matching a search, paged, ordered by name, downloads or last update."""
    args = query_arguments(SearchPageQuerySchema())
    filters = catalog.NodeFilters(search=args.get("q"), comfy_node_search=args.get("comfy_node"))
    found = catalog.find_node_rows(
        db.session, filters, args["page"], PAGE_SIZE, order=NODE_ORDERS[args["sort"]]
    )
    return page("search.html", args=args, found=found, banned=NodeStatus.BANNED.value)


@bp.get(f"{WEB_PREFIX}/packs/<node_id>")
def pack(node_id: str):
    """A pack's metadata and every version, with downloads and install commands."""
    node = find_pack(db.session, node_id)
    if node is None:
        raise NotFound(f"Pack {node_id!r} is not in this mirror.")
    if node.id != node_id:
        return redirect(url_for("web.pack", node_id=node.id))
    publisher = (
        publishers.get_publisher(db.session, node.publisher_id) if node.publisher_id else None
    )
    versions = version_rows(db.session, node)
    return page("pack.html", node=node, publisher=publisher, versions=versions)


@bp.get(f"{WEB_PREFIX}/publishers/<publisher_id>")
def publisher(publisher_id: str):
    """A publisher and its packs, paged."""
    args = query_arguments(PublisherPageQuerySchema())
    found_publisher = publishers.get_publisher(db.session, publisher_id)
    if found_publisher is None:
        raise NotFound(f"Publisher {publisher_id!r} is not in this mirror.")
    filters = catalog.NodeFilters(publisher_id=publisher_id)
    found = catalog.find_node_rows(db.session, filters, args["page"], PAGE_SIZE)
    return page("publisher.html", publisher=found_publisher, found=found)


@bp.get(f"{WEB_PREFIX}/status")
def status():
    """Everything `flask mirror status` knows, and the history of imports and syncs."""
    history = import_history(db.session)
    return page(
        "status.html", status=status_document(), history=history, chart=history_chart(history)
    )


@bp.get(f"{WEB_PREFIX}/connect")
def connect():
    """How to point comfy-cli, ComfyUI-Manager and the ComfyUI frontend at this mirror."""
    return page("connect.html", mirror_url=public_base_url(), custom_node=custom_node_source())


@bp.get(f"{WEB_PREFIX}/connect/{CUSTOM_NODE_NAME}")
def custom_node():
    """The one-file custom node that points ComfyUI-Manager at this mirror, to download."""
    response = Response(custom_node_source(), mimetype="text/x-python")
    response.headers["Content-Disposition"] = f"attachment; filename={CUSTOM_NODE_NAME}"
    return response


def custom_node_source() -> str:
    """The custom node's Python source, naming this mirror's public URL."""
    # json.dumps writes a valid Python string literal for any URL, quotes and all.
    return render_template("web/registry_mirror.py.j2", mirror_url=json.dumps(public_base_url()))
