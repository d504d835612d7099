"""`flask mirror verify`: check the mirror, and repair it from a bundle."""

import math
import sys

import click

from commands.group import (
    ProgressBars,
    archive_store,
    dump_limits,
    meet_other_writers,
    mirror,
    no_wait_option,
    refuse,
)
from extensions import db
from services.integrity.comfy_index import IndexFigures
from services.integrity.repair import repair_mirror
from services.integrity.report import VerifyReport
from services.integrity.runs import record_verification
from services.integrity.verify import verify_mirror
from services.refusals import Refused

SIZE_UNITS = ("KB", "MB", "GB", "TB")


def _bundle(ctx, param, value: str | None) -> str | None:
    """--repair alone gives "" (no bundle); a named bundle must exist."""
    if not value:
        return value
    return click.Path(exists=True).convert(value, param, ctx)


@mirror.command("verify")
@click.option(
    "--repair",
    "bundle",
    metavar="[FROM_BUNDLE]",
    is_flag=False,
    flag_value="",
    callback=_bundle,
    help="Fix what is found: remove orphan archives and stale staging folders, recompute "
    "derived data and, given a bundle (a folder or .tar), restore archives from it; then "
    "verify again.",
)
@no_wait_option
def verify_command(bundle: str | None, no_wait: bool) -> None:
    """Check the whole mirror and list every problem; exit non-zero if there is any.

    Checks the database's own integrity (SQLite), that every archive a version records is
    stored with its recorded size and sha256 (each archive is hashed), that no archive file or
    staging folder is left over, and that each node's latest_version and each version's
    stored JSON match the stored fields. Also says how many versions have their node classes
    (from upstream or read from archives) and lists the first archives that could not be read,
    with why; those are not problems.

    With --repair FROM_BUNDLE the bundle is verified whole first (nothing changes if it is
    damaged); archives are restored from its archives with the recorded sha256. Without a
    bundle, missing and corrupt archives are reported as not repaired. While an import or
    sync runs, leftovers are not checked and a repair is refused: what looks stale may be its
    work in progress.
    """
    bars = ProgressBars()
    store = archive_store()
    if bundle is None:
        report = verify_mirror(db.session, store, bars)
        bars.close()
        echo_report(report)
        record(report, repaired=False)
        sys.exit(0 if report.ok else 1)
    try:
        meet_other_writers(no_wait)
        repair = repair_mirror(db.session, store, bundle or None, bars, dump_limits())
    except Refused as exc:
        bars.close()
        refuse("Repair refused; the mirror is unchanged:", exc.problems)
    bars.close()
    if repair.before.ok:
        click.echo("Nothing to repair.")
    for heading, lines in (("Repaired:", repair.repaired), ("Not repaired:", repair.not_repaired)):
        if lines:
            click.echo(heading)
            for line in lines:
                click.echo(f"  {line}")
    click.echo("After the repair:")
    echo_report(repair.after)
    record(repair.after, repaired=True)
    sys.exit(0 if repair.after.ok else 1)


def record(report: VerifyReport, repaired: bool) -> None:
    """Record the result for `flask mirror status` and the status page, saying if it cannot."""
    if not record_verification(db.session, report, repaired):
        click.echo(
            "The result was not recorded for status: another import, sync or repair was "
            "writing to the database (or it is read-only).",
            err=True,
        )


def echo_report(report: VerifyReport) -> None:
    """Print a verification: each problem grouped by kind, then what was checked and counts."""
    checked = (
        f"{report.nodes} nodes, {report.versions} versions and {report.archives} archives "
        f"of {byte_size(report.archive_bytes)} checked; database integrity: {report.integrity}; "
        f"{describe_index(report.comfy_nodes)}"
    )
    for kind, problems in report.by_kind().items():
        click.echo(f"{kind.capitalize()} ({len(problems)}):")
        for problem in problems:
            click.echo(f"  {problem}")
    if report.import_running:
        click.echo(
            "An import or sync was running: staging folders and archives it had not committed "
            "yet were left unchecked."
        )
    if report.warnings:
        click.echo(f"Not part of the archive store, left alone ({len(report.warnings)}):")
        for warning in report.warnings:
            click.echo(f"  {warning}")
    echo_unreadable(report.comfy_nodes)
    if report.ok:
        click.echo(f"No problems: {checked}.")
        return
    counts = ", ".join(f"{kind} {len(found)}" for kind, found in report.by_kind().items())
    click.echo(f"{checked}.")
    found = len(report.problems)
    click.echo(f"{found} problem{'' if found == 1 else 's'}: {counts}.")


def describe_index(figures: IndexFigures) -> str:
    """The node-class index in a few words: versions indexed, from where, not indexed, pending."""
    counts = figures.counts
    pending = counts["pending"]
    return (
        f"node classes of {counts['upstream'] + counts['extracted']} versions "
        f"({counts['upstream']} from upstream, {counts['extracted']} read from archives), "
        f"{counts['not_indexed']} not indexed, {pending} pending"
        + (" (flask mirror index reads them)" if pending else "")
    )


def echo_unreadable(figures: IndexFigures) -> None:
    """List the first archives whose node classes could not be read, and why (not problems)."""
    if not figures.unreadable:
        return
    total = figures.counts["not_indexed"]
    click.echo(f"Archives whose node classes could not be read ({total}):")
    for line in figures.unreadable:
        click.echo(f"  {line}")
    if total > len(figures.unreadable):
        click.echo(f"  and {total - len(figures.unreadable)} more")


def byte_size(size: int, exact: bool = False) -> str:
    """A size as people read it (241.4 KB), with the exact bytes too if asked."""
    if size < 1000:
        return f"{size} bytes"
    power = min(int(math.log10(size)) // 3, len(SIZE_UNITS))
    shown = f"{size / 1000**power:.1f} {SIZE_UNITS[power - 1]}"
    return f"{shown} ({size} bytes)" if exact else shown
