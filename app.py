"""The application factory: configuration, extensions, blueprints, error handlers, commands."""

import os

from flask import Flask
from sqlalchemy import event, make_url
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from config import Config
from extensions import cors, db


def create_app(test_config: dict | None = None) -> Flask:
    """Build a mirror app; `test_config` overrides settings before anything is bound."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(Config())
    if test_config is not None:
        app.config.update(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(
            app.instance_path, "mirror.db"
        )
    ensure_sqlite_folder(app.config["SQLALCHEMY_DATABASE_URI"])
    if not app.config.get("ARCHIVE_DIR"):
        app.config["ARCHIVE_DIR"] = os.path.join(app.instance_path, "archives")
    register_extensions(app)
    register_proxy_fix(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_commands(app)
    create_schema(app)
    return app


def ensure_sqlite_folder(url: str) -> None:
    """Create the folder a SQLite file will live in, as users expect of a path they name."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        folder = os.path.dirname(os.path.abspath(parsed.database))
        os.makedirs(folder, exist_ok=True)


def register_extensions(app: Flask) -> None:
    """Bind the database and CORS extensions."""
    db.init_app(app)
    cors.init_app(
        app,
        origins=app.config["CORS_ORIGINS"],
        methods=["GET", "HEAD", "POST", "OPTIONS"],
        allow_headers=["Content-Type", "Range", "If-None-Match"],
        expose_headers=["Content-Length", "Content-Range", "ETag"],
        max_age=86400,
    )


def register_proxy_fix(app: Flask) -> None:
    """Honour X-Forwarded-* only from as many reverse proxies as configured to be trusted."""
    trusted = app.config["TRUSTED_PROXIES"]
    if trusted > 0:
        app.wsgi_app = ProxyFix(
            app.wsgi_app,
            x_for=trusted,
            x_proto=trusted,
            x_host=trusted,
            x_port=trusted,
            x_prefix=trusted,
        )


def register_blueprints(app: Flask) -> None:
    """Mount the API's routes."""
    from blueprints import archives, bulk, comfy_nodes, limits, meta, nodes, publishers, status

    app.register_blueprint(archives.bp)
    app.register_blueprint(bulk.bp)
    app.register_blueprint(comfy_nodes.bp)
    app.register_blueprint(limits.bp)
    app.register_blueprint(meta.bp)
    app.register_blueprint(nodes.bp)
    app.register_blueprint(publishers.bp)
    app.register_blueprint(status.bp)


def register_error_handlers(app: Flask) -> None:
    """Answer every error in the ErrorResponse JSON shape."""
    from blueprints.errors import register_error_handlers as register

    register(app)


def register_commands(app: Flask) -> None:
    """Add the `flask mirror ...` commands."""
    from commands import mirror

    app.cli.add_command(mirror)


def create_schema(app: Flask) -> None:
    """Create missing tables, then drop the pooled connections so forked workers open their own."""
    import models  # noqa: F401  (registers every table on the metadata)

    with app.app_context():
        db.create_all()
        db.engine.dispose()


SQLITE_CACHE_KIB = 64 * 1024
SQLITE_MMAP_BYTES = 2 * 1024 * 1024 * 1024


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection, connection_record) -> None:
    """SQLite only: WAL lets readers keep the old data while an import writes; enforce FKs."""
    module = type(dbapi_connection).__module__
    if not module.startswith(("sqlite3", "pysqlite")):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Bulk look-ups touch thousands of index and table pages at random: a larger page cache
    # and memory-mapped reads keep their cost from growing with the mirror's size.
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cursor.close()
