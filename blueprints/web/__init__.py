"""The web pages people read: home, search, a pack, a publisher, status, connecting tools.

Server-rendered with Jinja (autoescaped), one stylesheet and one small script served by the app
under content-hashed URLs, and a Content-Security-Policy that allows nothing else. Every page
lives under WEB_PREFIX except home, which `GET /` answers only to clients that ask for HTML; a
JSON client keeps every path as it was.
"""

from flask import Blueprint, Response, render_template, request

from blueprints.web.assets import register_assets

WEB_PREFIX = "/web"

# Scripts and styles only from the mirror's own files, never inline; nothing from elsewhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

bp = Blueprint("web", __name__, template_folder="templates")
register_assets(bp, WEB_PREFIX)


def is_web_path(path: str) -> bool:
    """Whether `path` is one of the web pages' (home or under WEB_PREFIX), not the API's."""
    return path == "/" or path == WEB_PREFIX or path.startswith(WEB_PREFIX + "/")


def wants_html() -> bool:
    """Whether the client prefers HTML to JSON (a browser does; curl's */* does not)."""
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html"


def render_error_page(status: int, title: str, message: str) -> Response:
    """An error as an HTML page, for a browser on a web page's path."""
    body = render_template("web/error.html", status=status, title=title, message=message)
    return Response(body, status=status, mimetype="text/html")


@bp.after_app_request
def protect_html(response: Response) -> Response:
    """Every HTML answer gets the policy that forbids inline scripts and remote resources."""
    if response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
    return response


from blueprints.web import filters, pages  # noqa: E402, F401  (register on bp)
