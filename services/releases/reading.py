"""Reading release notes: the ones GET /releases serves, and all of them for an export."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import FALLBACK_LOCALE, ReleaseLocale, ReleaseNote, ReleaseProject
from schemas.release_notes import ReleaseNoteSchema
from services.catalog.semver import is_semantic_version, precedence_key
from services.chunks import chunks

_note_schema = ReleaseNoteSchema()


@dataclass(frozen=True)
class _Listed:
    """What choosing and ordering a note needs, without its (possibly long) content."""

    id: int
    locale: ReleaseLocale
    version: str
    published_at: datetime

    def order(self) -> tuple:
        """Newest first: by version precedence, then publication, then id (never a tie)."""
        return (precedence_key(self.version), self.published_at, self.id)


def find_release_notes(
    session: Session,
    project: ReleaseProject,
    locale: ReleaseLocale = FALLBACK_LOCALE,
    current_version: str | None = None,
) -> list[dict]:
    """The project's notes newest first, in `locale` (per release, English where it has none),
    only those of `current_version` and newer when it is given."""
    listed = [
        _Listed(*row)
        for row in session.execute(
            sa.select(
                ReleaseNote.id, ReleaseNote.locale, ReleaseNote.version, ReleaseNote.published_at
            ).where(
                ReleaseNote.project == project,
                ReleaseNote.locale.in_((locale, FALLBACK_LOCALE)),
            )
        )
    ]
    translated = {note.version for note in listed if note.locale == locale}
    chosen = [note for note in listed if note.locale == locale or note.version not in translated]
    if current_version:
        chosen = [note for note in chosen if _not_older(note.version, current_version)]
    chosen.sort(key=_Listed.order, reverse=True)
    return _serialized(session, [note.id for note in chosen])


def _not_older(version: str, current_version: str) -> bool:
    """Whether a release is `current_version` or newer; a version that is not semantic is
    neither, since it cannot be ordered."""
    if not is_semantic_version(version):
        return False
    # Compared by precedence alone: v0.3.64 and 0.3.64 are the same release.
    return precedence_key(version)[:3] >= precedence_key(current_version)[:3]


def _serialized(session: Session, ids: list[int]) -> list[dict]:
    """The notes with these ids, in that order, as the API sends them."""
    by_id = {}
    for chunk in chunks(ids):
        query = sa.select(ReleaseNote).where(ReleaseNote.id.in_(chunk))
        by_id.update((note.id, note) for note in session.execute(query).scalars())
    return [_note_schema.dump(by_id[note_id]) for note_id in ids]


def exported_release_notes(session: Session) -> list[dict]:
    """Every note as a dump carries it (with its locale), by id."""
    return [
        {**_note_schema.dump(note), "locale": note.locale.value}
        for note in session.execute(sa.select(ReleaseNote).order_by(ReleaseNote.id)).scalars()
    ]


def count_release_notes(session: Session) -> int:
    """How many release notes the mirror holds, in every project and locale."""
    return session.scalar(sa.select(sa.func.count()).select_from(ReleaseNote))
