"""Fetching an upstream's release notes: GET /releases once per project and locale.

Every note of every project is asked for (no current_version), in English first and then in
each other locale. A note answered for another locale under an id already seen is the English
note standing in for a missing translation (this mirror serves those so too), so it is kept
once, in English. An upstream answering 404 (an older mirror) serves no release notes: the sync
asks no more, goes on without them, says so, and its dump carries no release_notes key, so
importing it leaves the mirror's notes alone. A project or locale it refuses (400) is left out,
with a warning; any other failure fails the sync, as for nodes.
"""

from models.release_note import FALLBACK_LOCALE, ReleaseLocale, ReleaseProject
from services.sync.client import UpstreamClient, UpstreamError

LOCALES = [FALLBACK_LOCALE, *(locale for locale in ReleaseLocale if locale != FALLBACK_LOCALE)]
# The requests one sync makes for release notes: one per project and locale.
RELEASE_NOTE_REQUESTS = len(ReleaseProject) * len(ReleaseLocale)
ABSENT = "the upstream serves no release notes (GET /releases answered 404); kept the mirror's"


def fetch_release_notes(client: UpstreamClient, warnings: list[str]) -> list[dict] | None:
    """Every project's release notes in every locale, each note once with its locale; None
    (with a warning) when the upstream serves none. A project or locale the upstream refuses
    (400) is left out, with a warning."""
    notes: list[dict] = []
    seen: set[int] = set()
    for project in ReleaseProject:
        for locale in LOCALES:
            params = [("project", project.value), ("locale", locale.value)]
            status, document, _ = client.get_json(
                "/releases", params, "release notes", absent={400, 404}
            )
            if status == 404:
                warnings.append(ABSENT)
                return None
            if status == 400:
                warnings.append(f"the upstream refused release notes of {project} in {locale}")
                continue
            if not isinstance(document, list):
                raise UpstreamError(
                    f"GET /releases?project={project}&locale={locale} did not answer a list."
                )
            notes.extend(_unseen(document, locale, seen))
    return notes


def _unseen(document: list, locale: ReleaseLocale, seen: set[int]) -> list:
    """The notes of one answer not already taken, marked with their locale; anything else is
    kept as it came, for the import's validation to name."""
    kept = []
    for note in document:
        if not isinstance(note, dict):
            kept.append(note)
            continue
        note_id = note.get("id")
        if isinstance(note_id, int):
            if note_id in seen:
                continue
            seen.add(note_id)
        kept.append({**note, "locale": locale.value})
    return kept
