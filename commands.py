"""The `flask mirror` commands: thin click wrappers around the import and export services."""

import contextlib
import os
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from extensions import db
from services.archive_store import ArchiveStore
from services.bundle_writer import write_bundle
from services.dump_reader import DumpRejected
from services.exporter import build_dump, count_nodes, write_dump
from services.importer import import_dumps

mirror = AppGroup("mirror", help="Load, export and inspect the mirror's data.")


class _ProgressBars:
    """Progress bars on stderr for each phase of long work; click hides them off a terminal."""

    def __init__(self) -> None:
        self._stack = contextlib.ExitStack()

    def __call__(self, label: str, length: int):
        self._stack.close()
        if not sys.stderr.isatty():
            return lambda steps: None
        bar = self._stack.enter_context(
            click.progressbar(length=length, label=label, file=sys.stderr)
        )
        return bar.update

    def close(self) -> None:
        self._stack.close()


def _store() -> ArchiveStore:
    """The configured archive directory."""
    return ArchiveStore(current_app.config["ARCHIVE_DIR"])


@mirror.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--replace",
    is_flag=True,
    help="Make the mirror equal to the given dumps: remove nodes and versions they lack.",
)
def import_command(paths: tuple[str, ...], replace: bool) -> None:
    """Import dumps (.json or .json.gz files, or folders of them) and bundles as one transaction.

    A bundle is a folder (or a .tar of one) with a manifest.json, a dump and node archives;
    every archive's size and sha256 are checked before anything is written.

    Nodes and versions are merged by node id and (node id, version) unless --replace is given.
    On any problem nothing is written and every problem is listed with its place.
    """
    bars = _ProgressBars()
    try:
        summary = import_dumps(
            db.session, list(paths), replace=replace, progress=bars, archive_store=_store()
        )
    except DumpRejected as exc:
        bars.close()
        click.echo("Import refused; the mirror is unchanged:", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    bars.close()
    click.echo(f"Imported {', '.join(paths)}{' (replace)' if replace else ''}.")
    for line in summary.lines():
        click.echo(f"  {line}")


@mirror.command("export")
@click.argument("path", type=click.Path())
@click.option(
    "--with-archives",
    is_flag=True,
    help="Write a bundle (a folder, or a .tar when PATH ends in .tar) with every stored archive.",
)
def export_command(path: str, with_archives: bool) -> None:
    """Write the whole mirror as one dump (gzip-compressed when PATH ends in .gz).

    With --with-archives, write a bundle instead: a manifest, the dump and the node archives,
    which `flask mirror import` takes on another, offline mirror.
    """
    bars = _ProgressBars()
    if with_archives:
        step = bars("Exporting", count_nodes(db.session))
        try:
            manifest = write_bundle(db.session, _store(), path, step)
        except DumpRejected as exc:
            bars.close()
            click.echo("Export refused:", err=True)
            for problem in exc.problems:
                click.echo(f"  {problem}", err=True)
            sys.exit(1)
        bars.close()
        click.echo(f"Exported a bundle with {len(manifest['archives'])} archives to {path}.")
        return
    step = bars("Exporting", count_nodes(db.session))
    document = build_dump(db.session, step)
    bars.close()
    write_dump(document, path)
    click.echo(
        f"Exported {len(document['nodes'])} nodes and "
        f"{sum(len(node['versions']) for node in document['nodes'])} versions to {path}."
    )


@mirror.command("seed")
@click.option(
    "--from",
    "source",
    type=click.Path(exists=True),
    help="Dump file or folder to load (default: the project's seed_data/).",
)
def seed_command(source: str | None) -> None:
    """Import the sample seed data, but only into an empty mirror (safe to run every start)."""
    source = source or current_app.config["SEED_DATA_DIR"]
    if count_nodes(db.session) > 0:
        click.echo("The mirror already holds data; seed data skipped.")
        return
    if not os.path.exists(source):
        click.echo(f"No seed data at {source}; starting with an empty mirror.")
        return
    try:
        summary = import_dumps(db.session, [source], archive_store=_store())
    except DumpRejected as exc:
        click.echo("Seed data refused; the mirror is unchanged:", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    click.echo(f"Seeded the empty mirror from {source}.")
    for line in summary.lines():
        click.echo(f"  {line}")
