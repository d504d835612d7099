"""`flask mirror sync`: a thin wrapper around services/sync/run.py."""

import os
import sys

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
from commands.sync_options import CLIENT_OPTIONS, sync_options
from extensions import db
from schemas.rules import is_node_id
from services.refusals import Refused
from services.sync.client import ClientSettings
from services.sync.request import SyncOutcome, SyncRequest
from services.sync.run import run_sync


def read_nodes_file(path: str) -> list[str]:
    """Node ids from a file: one per line; blank lines and # comments ignored."""
    node_ids, problems = [], []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            node_id = line.split("#", 1)[0].strip()
            if not node_id:
                continue
            if is_node_id(node_id):
                node_ids.append(node_id)
            else:
                problems.append(f"{path}:{number}: {node_id!r} is not a node id.")
    if problems:
        refuse("Sync refused; nothing was contacted:", problems)
    return node_ids


def check_prune(options: dict) -> None:
    """Refuse (usage error, exit 2) a --prune that cannot know what the upstream removed."""
    if not options["prune"]:
        return
    if not options["full"]:
        raise click.UsageError(
            "--prune needs --full: an incremental sync sees only the nodes that changed, not "
            "those removed. Add --full."
        )
    if options["node_ids"] or options["nodes_file"]:
        raise click.UsageError(
            "--prune needs the upstream's whole node list: it cannot go with --node or "
            "--nodes-file."
        )
    if options["out"]:
        raise click.UsageError(
            "--prune removes from this mirror, which --out leaves alone. To remove on an "
            "offline mirror what the upstream no longer has, import a --full bundle there with "
            "`flask mirror import --replace`."
        )


def sync_request(options: dict) -> SyncRequest:
    """The sync the command line asks for; refused (exit 1) if its options contradict."""
    if options["since"] is not None and options["full"]:
        refuse("Sync refused:", ["--since and --full contradict each other: choose one."])
    check_prune(options)
    node_ids = list(options["node_ids"])
    bad = [node_id for node_id in node_ids if not is_node_id(node_id)]
    if bad:
        refuse("Sync refused; nothing was contacted:", [f"{n!r} is not a node id." for n in bad])
    if options["nodes_file"]:
        node_ids += read_nodes_file(options["nodes_file"])
    settings = ClientSettings(**{field: options[field] for _, field, _, _ in CLIENT_OPTIONS})
    return SyncRequest(
        upstream=options["upstream"],
        out=options["out"],
        with_archives=options["with_archives"] or options["require_archives"],
        require_archives=options["require_archives"],
        archive_hosts=options["archive_host_map"],
        since=options["since"],
        full=options["full"],
        prune=options["prune"],
        with_translations=options["with_translations"],
        node_ids=tuple(node_ids),
        settings=settings,
        work_dir=options["work_dir"] or os.path.join(current_app.instance_path, "sync"),
        limits=dump_limits(),
    )


# The exit status of a sync that completed without some archives.
PARTIAL_EXIT = 3


class _Reporter:
    """Progress bars on a terminal; one log line per page and per tenth of the work otherwise."""

    def __init__(self) -> None:
        self.terminal = sys.stderr.isatty()
        self.bars = ProgressBars()

    def log(self, line: str) -> None:
        if not self.terminal:
            click.echo(line, err=True)

    def phase(self, label: str, length: int):
        return self.bars(label, length)


@mirror.command("sync")
@sync_options
@no_wait_option
def sync_command(no_wait: bool, **options) -> None:
    """Copy an upstream registry's nodes, versions, publishers and release notes through its
    public read API.

    Without --out, the result is imported into this mirror as one import (all or nothing).
    With --out, a bundle is written instead and this mirror is left alone.

    By default a sync is incremental: it asks for the nodes changed since the last sync from
    the same upstream began (--since TIMESTAMP to choose, --full for everything). --node and
    --nodes-file limit a sync to some nodes (fetched in full unless --since is given). Every
    other sync also fetches all the release notes (GET /releases, each project in each
    locale) and every publisher (GET /publishers, to catch a publisher changed without its
    nodes); an upstream without them is passed over with a warning.

    A --full sync lists the mirrored nodes the upstream no longer has, and the publishers left
    without nodes that it no longer lists; --prune removes them in the same import (a usage
    error without --full, or with --node, --nodes-file or --out). --with-translations fetches
    each node's translations (one request per node); without it the mirrored ones are kept.

    An interrupted sync resumes when run again with the same options: archives it finished are
    re-hashed, not downloaded again.

    An archive that cannot be fetched (host down, 404, wrong bytes every time) does not sink the
    sync: its version is mirrored with the upstream's downloadUrl, the summary lists it, the exit
    status is 3 ("partial"), and the next sync with --with-archives retries it. An archive host
    other than the upstream's is probed once, and skipped when it does not answer.
    """
    request = sync_request(options)
    reporter = _Reporter()
    try:
        # A sync into a bundle (--out) leaves this mirror's database alone.
        meet_other_writers(no_wait and request.out is None)
        outcome = run_sync(
            db.session,
            archive_store(),
            request,
            reporter.log,
            reporter.phase,
            import_progress=reporter.bars,
        )
    except Refused as exc:
        reporter.bars.close()
        unchanged = "no bundle was written" if request.out else "the mirror is unchanged"
        refuse(f"Sync from {request.upstream} failed; {unchanged}:", exc.problems)
    except KeyboardInterrupt:
        reporter.bars.close()
        refuse("Sync interrupted; run the same command again to resume.", [])
    reporter.bars.close()
    echo_outcome(outcome)
    if outcome.partial:
        click.echo(
            f"Partial: {len(outcome.archives.failures)} archive(s) missing (listed above); "
            "run the sync with --with-archives again once their hosts answer."
        )
        sys.exit(PARTIAL_EXIT)


def echo_outcome(outcome: SyncOutcome) -> None:
    """Print what a sync fetched, and the bundle it wrote or what it imported."""
    click.echo(f"Synced {outcome.upstream} ({outcome.mode}).")
    for line in outcome.lines():
        click.echo(f"  {line}")
    if outcome.bundle is not None:
        click.echo(f"Wrote the bundle {outcome.bundle}; load it with `flask mirror import`.")
    else:
        click.echo("Imported into this mirror:")
        for line in outcome.imported.lines():
            click.echo(f"  {line}")
