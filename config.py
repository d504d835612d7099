"""Settings read from the environment, with defaults that suit a laptop."""

import os

from services.dumps.reader import DEFAULT_MAX_DUMP_BYTES, DEFAULT_MAX_DUMP_RATIO
from services.sync.request import normalize_upstream


def _int_env(name: str, default: int) -> int:
    """Read an integer setting, failing with a message that names the variable."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise RuntimeError(f"{name} must be a whole number, got {raw!r}") from None


def _switch_env(name: str, default: bool) -> bool:
    """Read an on/off setting written 1 or 0, failing with a message that names the variable."""
    raw = os.environ.get(name, "").strip()
    if raw == "":
        return default
    if raw not in ("0", "1"):
        raise RuntimeError(f"{name} must be 1 (on) or 0 (off), got {raw!r}")
    return raw == "1"


def _seconds_env(name: str, default: float, least: float) -> float:
    """Read a number of seconds (decimals allowed), failing with a message naming the variable."""
    raw = os.environ.get(name, "").strip()
    if raw == "":
        return default
    try:
        seconds = float(raw)
    except ValueError:
        raise RuntimeError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not least <= seconds < float("inf"):
        raise RuntimeError(f"{name} must be {least:g} seconds or more, got {raw!r}")
    return seconds


def _upstream_env(name: str) -> str | None:
    """Read an upstream registry's base URL (None when unset), naming the variable if bad."""
    raw = os.environ.get(name, "").strip()
    if raw == "":
        return None
    try:
        return normalize_upstream(raw)
    except ValueError as exc:
        raise RuntimeError(f"{name}: {exc}") from None


# URL schemes that name PostgreSQL as hosting platforms and libpq write them, and the one
# SQLAlchemy needs to pick psycopg 3 rather than its default driver, psycopg2.
POSTGRESQL_SCHEMES = ("postgres://", "postgresql://")
POSTGRESQL_DRIVER_SCHEME = "postgresql+psycopg://"


def sqlalchemy_url(url: str | None) -> str | None:
    """DATABASE_URL as SQLAlchemy must be given it: a plain PostgreSQL URL gets psycopg 3."""
    if url is None:
        return None
    for scheme in POSTGRESQL_SCHEMES:
        if url.startswith(scheme):
            return POSTGRESQL_DRIVER_SCHEME + url.removeprefix(scheme)
    return url


class Config:
    """Settings for one app instance; every value can be overridden by the environment."""

    def __init__(self) -> None:
        # None means "a SQLite file in the instance folder", resolved by the factory.
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or None
        # Most pairs one bulk request may carry; the frontend sends one per installed pack.
        self.BULK_MAX_ITEMS = _int_env("MIRROR_BULK_MAX_ITEMS", 5000)
        # Largest request body in bytes; Werkzeug answers 413 past it.
        self.MAX_CONTENT_LENGTH = _int_env("MIRROR_MAX_BODY_BYTES", 4 * 1024 * 1024)
        # Longest query string answered, in bytes as sent; longer ones get a JSON 414. gunicorn's
        # own request line limit (MIRROR_MAX_REQUEST_LINE, gunicorn.conf.py) must leave room for it.
        self.MAX_QUERY_BYTES = _int_env("MIRROR_MAX_QUERY_BYTES", 4096)
        # Seconds an archive download may go without the client accepting a byte before the
        # mirror drops it and frees the thread (0: never); slow but moving clients are never cut.
        self.DOWNLOAD_STALL_SECONDS = _int_env("MIRROR_DOWNLOAD_STALL_SECONDS", 60)
        # How many reverse proxies in front of the mirror may set X-Forwarded-* (0: trust none).
        self.TRUSTED_PROXIES = _int_env("MIRROR_TRUSTED_PROXIES", 0)
        # A reverse proxy's internal location serving MIRROR_ARCHIVE_DIR (e.g. /_archives/):
        # set, archives are answered with X-Accel-Redirect and the proxy sends the file.
        self.ACCEL_REDIRECT = os.environ.get("MIRROR_ACCEL_REDIRECT") or None
        # Where node archives are stored (content-addressed); None means "archives" in the
        # instance folder, resolved by the factory.
        self.ARCHIVE_DIR = os.environ.get("MIRROR_ARCHIVE_DIR") or None
        # The mirror's URL as clients reach it, for the download URLs of mirrored archives;
        # unset, each request's own URL is used (through trusted proxies' X-Forwarded-*).
        self.PUBLIC_BASE_URL = os.environ.get("MIRROR_PUBLIC_URL") or None
        # Browser origins allowed to call the API (the ComfyUI frontend calls it cross-origin):
        # "*" (any, the default: the API is public and read-only) or a comma-separated list.
        origins = os.environ.get("MIRROR_CORS_ORIGINS", "*").strip()
        self.CORS_ORIGINS = (
            "*"
            if origins in ("", "*")
            else [origin.strip() for origin in origins.split(",") if origin.strip()]
        )
        # Most bytes a dump (or a bundle's manifest) may hold once decompressed: imports refuse
        # bigger ones before reading them, and stop decompressing there.
        self.MAX_DUMP_BYTES = _int_env("MIRROR_MAX_DUMP_BYTES", DEFAULT_MAX_DUMP_BYTES)
        # How many times its compressed size a dump may expand to (judged past 16 MiB).
        self.MAX_DUMP_RATIO = _int_env("MIRROR_MAX_DUMP_RATIO", DEFAULT_MAX_DUMP_RATIO)
        # Seconds a command or request waits for the database's write lock (held by an import,
        # sync or repair) before giving up with "database is locked".
        self.DB_LOCK_TIMEOUT = _int_env("MIRROR_DB_LOCK_TIMEOUT", 30)
        if self.DB_LOCK_TIMEOUT < 0:
            raise RuntimeError(
                f"MIRROR_DB_LOCK_TIMEOUT must be 0 or more seconds, got {self.DB_LOCK_TIMEOUT}"
            )
        # GET /metrics and the per-request figures behind it: 1 (on) or 0 (off: /metrics answers
        # 404 and requests are not counted). Request ids and the access log stay either way.
        self.METRICS = _switch_env("MIRROR_METRICS", True)
        # The registry a look-up of a node the mirror lacks is fetched from, stored and served
        # from (README "Pull-through mode"); None: the mirror never contacts anything.
        self.PULL_THROUGH = _upstream_env("MIRROR_PULL_THROUGH")
        # Seconds an upstream 404 is remembered: asks within it do not reach the upstream.
        self.PULL_THROUGH_MISS_TTL = _seconds_env("MIRROR_PULL_THROUGH_MISS_TTL", 300, 0)
        # Longest a request waits on the upstream before answering from what the mirror has.
        self.PULL_THROUGH_TIMEOUT = _seconds_env("MIRROR_PULL_THROUGH_TIMEOUT", 5, 0.1)
        # The dumps `flask mirror seed` loads into an empty mirror.
        self.SEED_DATA_DIR = os.environ.get(
            "MIRROR_SEED_DATA",
            os.path.join(os.path.dirname(os.path.abspath(__file__)), "seed_data"),
        )
