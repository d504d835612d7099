"""`flask mirror sync`: a thin wrapper around services/sync/run.py."""

import dataclasses
import os
import sys

import click
from flask import current_app
from marshmallow import ValidationError

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
from schemas.fields import UTCDateTime
from schemas.rules import is_node_id
from services.refusals import Refused
from services.sync.client import ClientSettings
from services.sync.hosts import parse_host_map
from services.sync.request import PUBLIC_REGISTRY, SyncOutcome, SyncRequest, normalize_upstream
from services.sync.run import run_sync

# How a sync reaches the upstream: option, ClientSettings field, type, help. Defaults are the
# ClientSettings defaults.
CLIENT_OPTIONS = (
    (
        "--jobs",
        "jobs",
        click.IntRange(1, 32),
        "Requests in flight at once (version lists and downloads).",
    ),
    (
        "--connect-timeout",
        "connect_timeout",
        click.FloatRange(min=0.01),
        "Seconds to wait for a connection to the upstream.",
    ),
    (
        "--read-timeout",
        "read_timeout",
        click.FloatRange(min=0.01),
        "Seconds to wait for the upstream to answer or send more of an answer.",
    ),
    (
        "--retries",
        "retries",
        click.IntRange(0, 20),
        "Retries of a request after a connection error, timeout, 429 or 5xx.",
    ),
    (
        "--backoff",
        "backoff",
        click.FloatRange(min=0),
        "Seconds before a retry, doubling each time (at most 30; Retry-After wins, up to 60).",
    ),
)


def _upstream(ctx, param, value: str) -> str:
    try:
        return normalize_upstream(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _since(ctx, param, value: str | None):
    if value is None:
        return None
    try:
        return UTCDateTime().deserialize(value)
    except ValidationError:
        raise click.BadParameter(
            f"{value!r} is not an RFC 3339 date-time such as 2026-11-30T12:00:00Z."
        ) from None


def _host_map(ctx, param, values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    try:
        return tuple(parse_host_map(value) for value in values)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


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


def sync_request(options: dict) -> SyncRequest:
    """The sync the command line asks for; refused (exit 1) if its options contradict."""
    if options["since"] is not None and options["full"]:
        refuse("Sync refused:", ["--since and --full contradict each other: choose one."])
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
        node_ids=tuple(node_ids),
        settings=settings,
        work_dir=options["work_dir"] or os.path.join(current_app.instance_path, "sync"),
        limits=dump_limits(),
    )


# The exit status of a sync that completed without some archives.
PARTIAL_EXIT = 3
_DEFAULTS = {field.name: field.default for field in dataclasses.fields(ClientSettings)}
SYNC_OPTIONS = (
    click.option(
        "--upstream",
        required=True,
        metavar="URL",
        callback=_upstream,
        help=f"The registry to copy: the public Comfy Registry is {PUBLIC_REGISTRY}; another "
        "instance of this mirror works too. Required: nothing is contacted unless named here.",
    ),
    click.option(
        "--out",
        type=click.Path(file_okay=False),
        help="Write a bundle folder here (for `flask mirror import` on an offline mirror) instead "
        "of changing this mirror. Work goes to OUT.partial first; OUT appears only when complete.",
    ),
    click.option(
        "--with-archives",
        is_flag=True,
        help="Also download each version's archive (not for Deleted or Banned versions).",
    ),
    click.option(
        "--require-archives",
        is_flag=True,
        help="Like --with-archives, but an archive that cannot be fetched fails the whole sync "
        "(nothing imported, no bundle). Without it such a sync is partial: exit status 3.",
    ),
    click.option(
        "--archive-host-map",
        multiple=True,
        metavar="FROM=TO",
        callback=_host_map,
        help="Fetch archives whose downloadUrl names host FROM from TO instead, e.g. "
        "storage.googleapis.com=http://proxy.example:8080 (repeat for more hosts).",
    ),
    click.option(
        "--since",
        metavar="TIMESTAMP",
        callback=_since,
        help="Only nodes changed after this RFC 3339 time. Default: since the last sync from the "
        "same upstream recorded in this mirror began (none recorded: everything).",
    ),
    click.option("--full", is_flag=True, help="Fetch every node, whatever the last sync was."),
    click.option(
        "--node", "node_ids", multiple=True, metavar="ID", help="Only this node (repeat)."
    ),
    click.option(
        "--nodes-file",
        type=click.Path(exists=True, dir_okay=False),
        help="Only the node ids in this file: one per line, # starts a comment.",
    ),
    *(
        click.option(name, type=kind, default=_DEFAULTS[field], show_default=True, help=text)
        for name, field, kind, text in CLIENT_OPTIONS
    ),
    click.option(
        "--work-dir",
        type=click.Path(file_okay=False),
        help="Where a sync into this mirror keeps unfinished work (default: INSTANCE/sync).",
    ),
)


def sync_options(command):
    """Add every option of `flask mirror sync` to `command`, in the order --help lists them."""
    for option in reversed(SYNC_OPTIONS):
        command = option(command)
    return command


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
    locale); an upstream without them is passed over with a warning.

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
