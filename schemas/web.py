"""The query strings of the web pages people read (not part of the API or its document)."""

from marshmallow import fields, validate

from schemas.base import WireSchema
from schemas.pages import page_number, search_text

# How a search page may be ordered (services/catalog/pages.py NODE_ORDERS implements each).
SEARCH_ORDERS = ("name", "downloads", "updated")


class SearchPageQuerySchema(WireSchema):
    """GET /web/search: the text, the page, and the order."""

    q = search_text("Case-insensitive text in the id, name, description or author")
    comfy_node = search_text("Case-insensitive text in a ComfyUI node class the pack provides")
    page = page_number()
    sort = fields.String(load_default="name", validate=validate.OneOf(SEARCH_ORDERS))


class PublisherPageQuerySchema(WireSchema):
    """GET /web/publishers/{id}: the page of its packs."""

    page = page_number("Page number of the publisher's packs")
