"""The options of `flask mirror sync`: how to reach the upstream, what to fetch, where to put it."""

import dataclasses

import click
from marshmallow import ValidationError

from schemas.fields import UTCDateTime
from services.sync.client import ClientSettings
from services.sync.hosts import parse_host_map
from services.sync.request import PUBLIC_REGISTRY, normalize_upstream

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
        "--prune",
        is_flag=True,
        help="With --full: remove the nodes the upstream no longer lists (their versions, node "
        "classes and archives no other version shares) and the publishers it no longer lists "
        "that no node names. Without it a --full sync only lists them.",
    ),
    click.option(
        "--with-translations",
        is_flag=True,
        help="Also fetch each node's translations: one more request per node fetched. Without "
        "it the translations this mirror holds are kept.",
    ),
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
