"""`flask mirror sync` carries release notes: from another instance of this mirror (real
gunicorn) B answers GET /releases byte for byte as A does; an upstream without GET /releases
(an older mirror) is passed over, saying so, and B keeps the notes it has."""

import json

import pytest

from models import ReleaseLocale, ReleaseProject
from services.sync.releases import ABSENT, RELEASE_NOTE_REQUESTS
from tests.dumps import imported, node, version
from tests.e2e.test_sync import FAST, Answers, sync
from tests.release_notes import release_note, release_notes_dump, sample_release_notes
from tests.serving import flask, serve_mirror


def release_queries() -> list[str]:
    """Every project in every locale, without and with a current version."""
    return [
        f"/releases?project={project}&locale={locale}{current}"
        for project in ReleaseProject
        for locale in ReleaseLocale
        for current in ("", "&current_version=0.3.64", "&current_version=0.3.65&form_factor=other")
    ]


def release_answers(mirror: Answers) -> dict[str, tuple[int, bytes]]:
    """The status and bytes a mirror answers to each of release_queries()."""
    return {query: mirror.get(query) for query in release_queries()}


@pytest.mark.slow
def test_a_sync_from_another_mirror_answers_releases_exactly_like_it(make_mirror, tmp_path):
    document = release_notes_dump(
        *sample_release_notes(),
        release_note(31, "1.2.0", "ja", project="desktop", attention="medium"),
    )
    document["nodes"] = [node("pack", version("1.0.0"))]
    (tmp_path / "a.json").write_text(json.dumps(document))
    b = make_mirror()
    (tmp_path / "a").mkdir()
    with serve_mirror(tmp_path / "a", seeded=False) as served:
        loaded = flask("mirror", "import", str(tmp_path / "a.json"), env=served.env)
        assert loaded.returncode == 0, loaded.stderr
        a = Answers(served.url)

        output = sync(b, served.url, "--work-dir", str(tmp_path / "work"))

        assert "nodes: 1 in 1 page(s); versions: 1; publishers: 0; release notes: 8" in output
        assert f"0 downloads, 1 comfy-node lists, {RELEASE_NOTE_REQUESTS} release notes" in output
        expected = release_answers(a)
        assert release_answers(Answers(app=b)) == expected
        assert any(body != b"[]" for _, body in expected.values())
        again = sync(b, served.url, "--work-dir", str(tmp_path / "work"))
        assert "release notes: 0 added, 0 updated, 8 unchanged, 0 removed" in again
        assert "nothing changed" in again
    status = b.test_client().get("/status").get_json()
    assert status["release_notes"] == 8


def test_an_upstream_without_releases_is_passed_over_and_the_notes_kept(
    app, runner, misbehaving_upstream, tmp_path
):
    imported(runner, tmp_path, release_notes_dump(*sample_release_notes()))
    before = release_answers(Answers(app=app))
    misbehaving_upstream.fail("other", times=None, status=404, within="/releases")

    work = ("--work-dir", str(tmp_path / "work"))
    result = runner.invoke(
        args=["mirror", "sync", "--upstream", misbehaving_upstream.url, *FAST, *work]
    )

    assert result.exit_code == 0, result.output
    assert f"warning: {ABSENT}" in result.output
    # Neither fetched nor imported: the sync's dump carried no release notes at all.
    assert "; release notes:" not in result.output
    assert "release notes: 0 added" not in result.output
    assert len([r for r in misbehaving_upstream.requests if r.startswith("/releases")]) == 1
    assert release_answers(Answers(app=app)) == before
    assert app.test_client().get("/nodes/alpha").status_code == 200
