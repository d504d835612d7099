"""`flask mirror status`: what the mirror holds, its last import and sync, its version."""

import click
import orjson

from commands.group import mirror
from commands.verify import byte_size
from extensions import db
from models import ImportKind
from schemas.status import StatusSchema
from services.catalog.status import mirror_status


@mirror.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON document GET /status sends.")
def status_command(as_json: bool) -> None:
    """Show what the mirror holds, when it was last imported and synced, and its version."""
    document = StatusSchema().dump(mirror_status(db.session))
    if as_json:
        click.echo(orjson.dumps(document).decode())
        return
    statuses = ", ".join(
        f"{status.removeprefix('NodeVersionStatus')} {count}"
        for status, count in document["versions_by_status"].items()
    )
    archives = document["archives"]
    click.echo(f"Comfy Registry Mirror {document['software_version']}")
    click.echo(f"Nodes: {document['nodes']}")
    click.echo(f"Versions: {document['versions']} ({statuses})")
    click.echo(
        f"Archives: {archives['stored']} stored, {byte_size(archives['bytes'], exact=True)}, "
        f"for {archives['versions']} versions"
        + (
            f"; {archives['missing']} versions lack theirs (served from upstream)"
            if archives["missing"]
            else ""
        )
    )
    click.echo(f"Release notes: {document['release_notes']}")
    index = document["comfy_nodes"]
    click.echo(
        f"Node classes: {index['classes']}, of {index['upstream']} versions from upstream and "
        f"{index['extracted']} extracted; {index['not_indexed']} not indexed, "
        f"{index['pending']} pending"
    )
    click.echo(f"Newest createdAt: {document['newest_created_at'] or 'none'}")
    click.echo(f"Last import: {describe_record(document['last_import'], ImportKind.IMPORT)}")
    click.echo(f"Last sync: {describe_record(document['last_sync'], ImportKind.SYNC)}")
    last_pulled = describe_record(document["last_pull_through"], ImportKind.PULL_THROUGH)
    click.echo(f"Pull-through imports: {document['pull_through_imports']}; last: {last_pulled}")
    click.echo(f"Last verify: {describe_verification(document['last_verify'])}")


def describe_record(record: dict | None, usual_kind: ImportKind) -> str:
    """An import or sync record in one line, naming its kind when it is not the usual one."""
    if record is None:
        return "never"
    kind = f" ({record['kind']})" if record["kind"] != usual_kind else ""
    replace = " (replace)" if record["replace"] else ""
    origin = record["origin"] or "no origin recorded"
    sources = ", ".join(record["sources"])
    return f"{record['finished_at']}{kind}{replace} from {origin}; sources: {sources}"


def describe_verification(run: dict | None) -> str:
    """A recorded verification in one line: when, and what it found."""
    if run is None:
        return "never recorded (run flask mirror verify)"
    repaired = " after --repair" if run["repaired"] else ""
    found = ", ".join(f"{kind} {count}" for kind, count in run["problem_kinds"].items())
    outcome = f"{run['problems']} problems ({found})" if run["problems"] else "no problems"
    return (
        f"{run['finished_at']}{repaired}: {outcome}; {run['nodes']} nodes, "
        f"{run['versions']} versions, {run['archives']} archives checked"
    )
