"""The web pages' stylesheet and script, served under URLs that name their content's hash, so
browsers may keep them for a year: a changed file is a new URL."""

import hashlib
import mimetypes
from pathlib import Path

from flask import Blueprint, Response, url_for
from werkzeug.exceptions import NotFound

STATIC = Path(__file__).resolve().parent / "static"
ONE_YEAR = 365 * 24 * 3600


def hashed_name(path: Path) -> str:
    """`mirror.css` as `mirror.<first 12 hex digits of its sha256>.css`."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return f"{path.stem}.{digest}{path.suffix}"


def register_assets(bp: Blueprint, prefix: str) -> None:
    """Serve every file of static/ at `prefix`/static/<hashed name>; `asset_url(name)` in
    templates gives a file's URL."""
    files = {path.name: path for path in sorted(STATIC.iterdir()) if path.is_file()}
    by_hashed = {hashed_name(path): path for path in files.values()}
    hashed = {name: hashed_name(path) for name, path in files.items()}

    @bp.get(f"{prefix}/static/<name>")
    def asset(name: str):
        """One static file, by its hashed name, cached for a year."""
        path = by_hashed.get(name)
        if path is None:
            raise NotFound(f"No web asset {name!r} (its content hash may have changed).")
        mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        response = Response(path.read_bytes(), mimetype=mimetype)
        response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
        return response

    @bp.app_context_processor
    def asset_urls() -> dict:
        """`asset_url('mirror.css')` in every template."""
        return {"asset_url": lambda name: url_for("web.asset", name=hashed[name])}
