"""`flask mirror import`, `export` and `seed`: thin wrappers around the dump and bundle services."""

import os

import click
from flask import current_app

from commands.group import (
    ProgressBars,
    archive_store,
    dump_limits,
    meet_other_writers,
    mirror,
    no_wait_option,
    refuse,
)
from database import begin_snapshot
from extensions import db
from services.bundles.writer import write_bundle
from services.dumps.writer import build_dump, count_nodes, write_dump
from services.imports.run import import_dumps
from services.refusals import Refused


@mirror.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--replace",
    is_flag=True,
    help="Make the mirror equal to the given dumps: remove nodes and versions they lack.",
)
@no_wait_option
def import_command(paths: tuple[str, ...], replace: bool, no_wait: bool) -> None:
    """Import dumps (.json or .json.gz files, or folders of them) and bundles as one transaction.

    A bundle is a folder (or a .tar of one) with a manifest.json, a dump and node archives;
    every archive's size and sha256 are checked before anything is written.

    Nodes and versions are merged by node id and (node id, version) unless --replace is given.
    On any problem nothing is written and every problem is listed with its place.
    """
    bars = ProgressBars()
    try:
        meet_other_writers(no_wait)
        summary = import_dumps(
            db.session,
            list(paths),
            replace=replace,
            progress=bars,
            archive_store=archive_store(),
            limits=dump_limits(),
        )
    except Refused as exc:
        bars.close()
        refuse("Import refused; the mirror is unchanged:", exc.problems)
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
    bars = ProgressBars()
    begin_snapshot(db.session)
    step = bars("Exporting", count_nodes(db.session))
    if with_archives:
        try:
            manifest = write_bundle(db.session, archive_store(), path, step)
        except Refused as exc:
            bars.close()
            refuse("Export refused:", exc.problems)
        bars.close()
        click.echo(f"Exported a bundle with {len(manifest['archives'])} archives to {path}.")
        return
    document = build_dump(db.session, step)
    bars.close()
    write_dump(document, path)
    versions = sum(len(node["versions"]) for node in document["nodes"])
    click.echo(f"Exported {len(document['nodes'])} nodes and {versions} versions to {path}.")


@mirror.command("seed")
@click.option(
    "--from",
    "source",
    type=click.Path(exists=True),
    help="Dump, bundle or folder to load (default: the project's seed_data/ bundle).",
)
@no_wait_option
def seed_command(source: str | None, no_wait: bool) -> None:
    """Import the sample seed data, but only into an empty mirror (safe to run every start)."""
    source = source or current_app.config["SEED_DATA_DIR"]
    if count_nodes(db.session) > 0:
        click.echo("The mirror already holds data; seed data skipped.")
        return
    if not os.path.exists(source):
        click.echo(f"No seed data at {source}; starting with an empty mirror.")
        return
    try:
        meet_other_writers(no_wait)
        summary = import_dumps(
            db.session, [source], archive_store=archive_store(), limits=dump_limits()
        )
    except Refused as exc:
        refuse("Seed data refused; the mirror is unchanged:", exc.problems)
    click.echo(f"Seeded the empty mirror from {source}.")
    for line in summary.lines():
        click.echo(f"  {line}")
