"""Taking release notes in: validated from dumps (the optional `release_notes` key), then
written in the import's transaction."""

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from marshmallow import ValidationError
from sqlalchemy.orm import Session

from models import ReleaseNote
from schemas.dump import DumpReleaseNoteSchema
from schemas.errors import flatten_messages
from services.chunks import chunks
from services.imports.summary import Tally

_note_schema = DumpReleaseNoteSchema()


@dataclass
class IncomingReleaseNotes:
    """The notes the dumps carry, by id (later dumps win)."""

    notes: dict[int, dict[str, Any]] = field(default_factory=dict)


def gather_release_notes(raw_notes: list, label: str, incoming: IncomingReleaseNotes) -> list[str]:
    """Validate one dump's release notes into `incoming`; the problems, each with its place."""
    problems: list[str] = []
    first_place: dict[int, int] = {}
    for index, raw in enumerate(raw_notes):
        place = f"release_notes[{index}]"
        try:
            loaded = _note_schema.load(raw)
        except ValidationError as exc:
            problems.extend(f"{label}: {p}" for p in flatten_messages(exc.messages, place))
            continue
        note_id = loaded["id"]
        if note_id in first_place:
            problems.append(
                f"{label}: {place}.id: Duplicate of release_notes[{first_place[note_id]}] "
                f"({note_id})."
            )
            continue
        first_place[note_id] = index
        incoming.notes[note_id] = loaded
    return problems


def write_release_notes(
    session: Session, incoming: IncomingReleaseNotes | None, replace: bool
) -> Tally | None:
    """Upsert the incoming notes by id; with replace, remove those the dumps lack. No commit.

    None (no dump carried the key) leaves the mirror's notes as they are, even with replace.
    """
    if incoming is None:
        return None
    tally = Tally()
    table = ReleaseNote.__table__
    existing = {}
    for chunk in chunks(list(incoming.notes)):
        query = sa.select(table).where(table.c.id.in_(chunk))
        existing.update((row["id"], dict(row)) for row in session.execute(query).mappings())
    inserts, updates = [], []
    for note_id, record in incoming.notes.items():
        old = existing.get(note_id)
        if old is None:
            inserts.append(record)
            tally.added += 1
        elif all(old[key] == value for key, value in record.items()):
            tally.unchanged += 1
        else:
            updates.append(record)
            tally.updated += 1
    if replace:
        gone = [
            note_id
            for (note_id,) in session.execute(sa.select(table.c.id))
            if note_id not in incoming.notes
        ]
        for chunk in chunks(gone):
            session.execute(sa.delete(table).where(table.c.id.in_(chunk)))
        tally.removed = len(gone)
    if inserts:
        session.execute(sa.insert(table), inserts)
    if updates:
        session.execute(sa.update(ReleaseNote), updates)
    return tally
