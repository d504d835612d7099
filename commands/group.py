"""The `flask mirror` command group, and what its commands share."""

import contextlib
import sys
from functools import partial

import click
import sqlalchemy.exc as sa_exc
from flask import current_app
from flask.cli import AppGroup, ScriptInfo, with_appcontext

from database import (
    DatabaseUnavailable,
    WriterWait,
    is_database_failure,
    refuse_if_writing,
    set_writer_wait,
)
from extensions import db
from services.archives import ArchiveStore
from services.dumps.reader import DumpLimits
from services.schema import schema_refusal


@with_appcontext
def require_current_schema() -> None:
    """Refuse every mirror command while the database's schema is behind this release's."""
    refusal = schema_refusal(db.engine, db.metadata)
    if refusal is not None:
        raise click.ClickException(refusal)


class MirrorGroup(AppGroup):
    """The `flask mirror` group: a failing database ends any command in one line, not a trace."""

    def invoke(self, ctx: click.Context):
        """Run the command; turn a database failure into a refusal that exits non-zero."""
        try:
            return super().invoke(ctx)
        except sa_exc.DBAPIError as exc:
            if not is_database_failure(exc):
                raise
            # The command's app context may be gone by now; the loaded app is kept here.
            config = ctx.ensure_object(ScriptInfo).load_app().config
            raise DatabaseUnavailable.from_error(
                exc, config["SQLALCHEMY_DATABASE_URI"], config["DB_LOCK_TIMEOUT"]
            ) from None


mirror = MirrorGroup(
    "mirror",
    help="Load, export, sync and check the mirror's data.",
    callback=require_current_schema,
)


class ProgressBars:
    """Progress bars on stderr for each phase of long work; none off a terminal."""

    def __init__(self) -> None:
        self._stack = contextlib.ExitStack()

    def __call__(self, label: str, length: int):
        """Start a bar for a new phase (ending the previous one); return its step function."""
        self._stack.close()
        if not sys.stderr.isatty():
            return lambda steps: None
        bar = self._stack.enter_context(
            click.progressbar(length=length, label=label, file=sys.stderr)
        )
        return bar.update

    def close(self) -> None:
        """End the current bar."""
        self._stack.close()


def archive_store() -> ArchiveStore:
    """The app's archive store, over the configured archive directory."""
    return current_app.extensions["archive_store"]


def dump_limits() -> DumpLimits:
    """The configured bounds on reading dumps and bundles."""
    return DumpLimits.from_config(current_app.config)


def no_wait_option(command):
    """Add --no-wait to a command that writes to the mirror's database."""
    return click.option(
        "--no-wait",
        is_flag=True,
        help="If another import, sync or repair is writing to the mirror, refuse at once and "
        "change nothing (default: say so on stderr and wait for it to finish, up to "
        "MIRROR_DB_LOCK_TIMEOUT seconds).",
    )(command)


def meet_other_writers(no_wait: bool) -> None:
    """Say on stderr when this command waits for another writer; with --no-wait refuse instead,
    at once if one is writing now (raising Refused, for the command's own refusal)."""
    log = partial(click.echo, err=True)
    set_writer_wait(db.session, WriterWait(wait=not no_wait, log=log))
    refuse_if_writing(db.session)


def refuse(title: str, problems: list[str]) -> None:
    """Print a refusal and every problem, then exit non-zero."""
    click.echo(title, err=True)
    for problem in problems:
        click.echo(f"  {problem}", err=True)
    sys.exit(1)
