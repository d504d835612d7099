"""The application factory: settings, extensions, archive store, blueprints, errors, commands."""

import os

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import ScriptInfo
from werkzeug.exceptions import ServiceUnavailable
from werkzeug.middleware.proxy_fix import ProxyFix

from config import Config, sqlalchemy_url
from database import (
    DatabaseUnavailable,
    configure_engine,
    database_path,
    is_database_failure,
)
from extensions import db, migrate
from services.schema import SchemaBehind, create_if_empty, schema_refusal

# Functions MirrorFlask keeps ensure_sync's answer for (hooks and views: a few dozen).
KEPT_SYNCED = 512


class MirrorFlask(Flask):
    """Flask, keeping what `ensure_sync` found for each hook and view.

    Flask asks it of every hook at every request (about ten per request), and each answer costs
    an inspection of the function's code flags; a function's answer never changes.
    """

    def ensure_sync(self, func):
        """`func` as Flask would call it (wrapped if it is a coroutine function), kept."""
        kept = self.__dict__.setdefault("_mirror_synced", {})
        found = kept.get(func)
        if found is None:
            # A request's own functions (after_this_request...) come and go: keep a bounded few.
            if len(kept) >= KEPT_SYNCED:
                kept.clear()
            found = kept[func] = super().ensure_sync(func)
        return found


def create_app(test_config: dict | None = None) -> Flask:
    """Build a mirror app; `test_config` overrides settings before anything is bound."""
    app = MirrorFlask(__name__, instance_relative_config=True)
    app.config.from_object(Config())
    if test_config is not None:
        app.config.update(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config["SQLALCHEMY_DATABASE_URI"] = sqlalchemy_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(
            app.instance_path, "mirror.db"
        )
    ensure_sqlite_folder(app.config["SQLALCHEMY_DATABASE_URI"])
    if not app.config.get("ARCHIVE_DIR"):
        app.config["ARCHIVE_DIR"] = os.path.join(app.instance_path, "archives")
    register_extensions(app)
    register_archive_store(app)
    register_proxy_fix(app)
    register_request_observers(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_commands(app)
    create_schema(app)
    return app


def ensure_sqlite_folder(url: str) -> None:
    """Create the folder a SQLite file will live in, as users expect of a path they name."""
    path = database_path(url)
    if path is not None:
        os.makedirs(os.path.dirname(path), exist_ok=True)


def register_extensions(app: Flask) -> None:
    """Bind the database (the ORM session and the read API's connection), migrations, CORS."""
    from blueprints.cors import register_cors
    from blueprints.reading import register_read_connection

    db.init_app(app)
    register_read_connection(app)
    migrate.init_app(app, db)
    with app.app_context():
        for engine in db.engines.values():
            configure_engine(engine, app.config["DB_LOCK_TIMEOUT"])
    register_cors(app)


def register_archive_store(app: Flask) -> None:
    """Keep the app's one ArchiveStore, over ARCHIVE_DIR, for its views and commands."""
    from services.archives import ArchiveStore

    app.extensions["archive_store"] = ArchiveStore(app.config["ARCHIVE_DIR"])


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


def register_request_observers(app: Flask) -> None:
    """Give every request an id and its access-log fields, and count it (unless METRICS=0)."""
    from blueprints.observe import register_request_observers as register

    register(app)


def register_blueprints(app: Flask) -> None:
    """Mount the API's routes and the web pages; give the item look-ups their pull-through."""
    from blueprints import (
        archives,
        bulk,
        comfy_nodes,
        features,
        limits,
        meta,
        metrics,
        nodes,
        publishers,
        pull_through,
        releases,
        status,
        versions,
        web,
    )

    app.register_blueprint(archives.bp)
    app.register_blueprint(bulk.bp)
    app.register_blueprint(comfy_nodes.bp)
    app.register_blueprint(features.bp)
    app.register_blueprint(limits.bp)
    app.register_blueprint(meta.bp)
    app.register_blueprint(metrics.bp)
    app.register_blueprint(nodes.bp)
    app.register_blueprint(publishers.bp)
    app.register_blueprint(releases.bp)
    app.register_blueprint(status.bp)
    app.register_blueprint(versions.bp)
    app.register_blueprint(web.bp)
    pull_through.register_pull_through(app)


def register_error_handlers(app: Flask) -> None:
    """Answer every error as ErrorResponse JSON (as a page to a browser on a web page)."""
    from blueprints.errors import register_error_handlers as register

    register(app)


def register_commands(app: Flask) -> None:
    """Add the `flask mirror ...` commands."""
    from commands import mirror

    app.cli.add_command(mirror)


def create_schema(app: Flask) -> None:
    """Create an empty database at the newest revision; refuse one whose schema is behind.

    Under the `flask` command the refusal waits for the commands and requests that use the
    data, so that `flask db upgrade` can run. The pooled connections are dropped at the end so
    that forked workers open their own.
    """
    import models  # noqa: F401  (registers every table on the metadata)

    with app.app_context():
        try:
            create_if_empty(db.engine, db.metadata)
            refusal = schema_refusal(db.engine, db.metadata)
        except sa.exc.DBAPIError as exc:
            if not is_database_failure(exc):
                raise
            url = app.config["SQLALCHEMY_DATABASE_URI"]
            raise DatabaseUnavailable.from_error(exc, url, app.config["DB_LOCK_TIMEOUT"]) from None
        finally:
            db.engine.dispose()
    if refusal is None:
        return
    if not loaded_by_flask_command():
        raise SchemaBehind(refusal)
    app.before_request(refuse_requests_while_behind)


def loaded_by_flask_command() -> bool:
    """Whether the `flask` command is loading the app (not gunicorn, not a test)."""
    context = click.get_current_context(silent=True)
    return context is not None and context.find_object(ScriptInfo) is not None


def refuse_requests_while_behind() -> None:
    """Answer 503, saying why, until the database is upgraded (`flask run` on an old one)."""
    refusal = schema_refusal(db.engine, db.metadata)
    if refusal is not None:
        raise ServiceUnavailable(refusal)
