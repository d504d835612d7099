"""Release notes for tests: one as a dump carries it, and a telling sample of them."""

from tests.dumps import dump

# Markdown as upstream writes it, with what a renderer would change: HTML, an entity, a
# trailing newline and text outside ASCII. The mirror must serve it unchanged.
MARKDOWN = (
    "# v0.3.65\n\n- Faster **samplers** <script>alert(1)</script> &amp; more\n- Vidéo nodes, 中文\n"
)


def release_note(note_id: int, version: str, locale: str = "en", **fields) -> dict:
    """A ReleaseNote as a dump carries it (with its locale); any field may be given."""
    return {
        "id": note_id,
        "project": "comfyui",
        "version": version,
        "attention": "low",
        "content": f"Notes of {version} ({locale}).",
        "published_at": "2025-10-01T12:00:00.000000Z",
        "locale": locale,
        **fields,
    }


def sample_release_notes() -> list[dict]:
    """ComfyUI's 0.3.9, 0.3.10 (after 0.3.9 by precedence, before it as text), 0.3.64,
    0.3.65 (with MARKDOWN, in French too) and 0.4.0-rc.1, and one note of another project."""
    return [
        release_note(11, "0.3.9", published_at="2025-01-02T00:00:00Z"),
        release_note(12, "0.3.10", attention="medium", published_at="2025-02-03T00:00:00Z"),
        release_note(13, "0.3.64", published_at="2025-10-01T00:00:00Z"),
        release_note(14, "0.3.65", attention="high", content=MARKDOWN),
        release_note(15, "0.3.65", "fr", attention="high", content="# v0.3.65 en français\n"),
        release_note(16, "0.4.0-rc.1", published_at="2025-11-01T00:00:00Z"),
        release_note(21, "1.28.0", project="comfyui_frontend", attention="medium"),
    ]


def release_notes_dump(*notes: dict, **top) -> dict:
    """A dump of no nodes carrying these release notes."""
    return dump(release_notes=list(notes), **top)
