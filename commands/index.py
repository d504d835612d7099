"""`flask mirror index`: read the node classes of the archives the mirror already holds."""

import click

from commands.group import (
    ProgressBars,
    archive_store,
    meet_other_writers,
    mirror,
    no_wait_option,
    refuse,
)
from extensions import db
from services.imports.reindex import index_mirror
from services.refusals import Refused


@mirror.command("index")
@click.option(
    "--rebuild",
    is_flag=True,
    help="Read again every archive whose classes the mirror read before, not only those of "
    "versions not indexed yet (classes from upstream are never replaced).",
)
@no_wait_option
def index_command(rebuild: bool, no_wait: bool) -> None:
    """Find the ComfyUI node classes of mirrored versions by reading their archives.

    Reads, without running any of its code, the archive of every version that has one and no
    node classes recorded yet (`pending` in `flask mirror status`), such as versions imported
    before the mirror read archives. Imports do this themselves for the versions they bring.
    Versions whose classes came from upstream keep them. What was found is written as one
    transaction: all of it, or nothing.
    """
    bars = ProgressBars()
    try:
        meet_other_writers(no_wait)
        summary = index_mirror(db.session, archive_store(), rebuild, bars)
    except Refused as exc:
        bars.close()
        refuse("Indexing refused; the mirror is unchanged:", exc.problems)
    bars.close()
    if not summary.archives and not summary.missing:
        click.echo("Nothing to index: every version with an archive has its node classes.")
        return
    versions = summary.indexed + sum(summary.not_indexed.values()) + summary.missing
    click.echo(f"Read the archives of {versions} versions{' again' if rebuild else ''}:")
    for line in summary.lines():
        click.echo(f"  {line}")
