"""How the web pages write values: sizes, statuses, outside links, a URL's host."""

from datetime import datetime
from urllib.parse import urlsplit

from markupsafe import Markup, escape

from blueprints.web import bp


@bp.app_template_filter("filesize")
def filesize(size: int | None) -> str:
    """Bytes as a person reads them: 0 B, 12.3 KiB, 4.5 MiB, 1.2 GiB."""
    size = size or 0
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"


@bp.app_template_filter("status_word")
def status_word(status: str) -> str:
    """Upstream's `NodeVersionStatusActive` as `Active`."""
    return status.removeprefix("NodeVersionStatus").removeprefix("NodeStatus")


@bp.app_template_filter("external_link")
def external_link(url: str) -> Markup:
    """A link for an http(s) URL from a dump; anything else (javascript:, data:) as plain text."""
    if urlsplit(url).scheme.lower() in ("http", "https"):
        return Markup('<a href="{0}" rel="noopener noreferrer">{0}</a>').format(url)
    return Markup(escape(url))


@bp.app_template_filter("host_port")
def host_port(url: str) -> str:
    """`http://mirror.example:8080/sub` as `mirror.example:8080` (port 80 or 443 when unsaid)."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"


@bp.app_template_filter("moment")
def moment(value: datetime | str | None) -> str:
    """A UTC date-time, or the status document's RFC 3339 text, to the minute."""
    if value is None:
        return "unknown"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.strftime("%Y-%m-%d %H:%M UTC")
