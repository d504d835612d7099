"""Release notes in dumps and bundles: the optional `release_notes` key imported in the import's
one transaction, refused by place, exported, and counted by status."""

import json

import pytest

from tests.dumps import dump, import_dump, imported, node, version
from tests.mirrors import NOTHING_CHANGED, assert_refused, import_counts, import_into
from tests.release_notes import release_note, release_notes_dump, sample_release_notes

# Every answer of GET /releases the samples make different.
QUERIES = [
    f"/releases?project={project}&locale={locale}{current}"
    for project in ("comfyui", "comfyui_frontend", "desktop")
    for locale in ("en", "fr", "zh")
    for current in ("", "&current_version=0.3.64", "&current_version=1.0.0")
]


def answers(client) -> dict[str, bytes]:
    """The bytes GET /releases answers to each of QUERIES."""
    return {query: client.get(query).data for query in QUERIES}


def test_a_dump_with_release_notes_imports_them(runner, tmp_path, client):
    output = imported(runner, tmp_path, release_notes_dump(*sample_release_notes()))

    assert import_counts(output, "release notes") == "7 added, 0 updated, 0 unchanged, 0 removed"
    assert len(client.get("/releases?project=comfyui").get_json()) == 5


def test_importing_the_same_notes_again_changes_nothing(runner, tmp_path):
    document = release_notes_dump(*sample_release_notes())
    imported(runner, tmp_path, document)

    again = imported(runner, tmp_path, document)

    assert import_counts(again, "release notes") == "0 added, 0 updated, 7 unchanged, 0 removed"
    assert NOTHING_CHANGED in again


def test_a_changed_note_is_updated_by_id(runner, tmp_path, client):
    imported(runner, tmp_path, release_notes_dump(release_note(1, "1.0.0")))

    output = imported(
        runner, tmp_path, release_notes_dump(release_note(1, "1.0.0", content="Fixed."))
    )

    assert import_counts(output, "release notes") == "0 added, 1 updated, 0 unchanged, 0 removed"
    assert client.get("/releases?project=comfyui").get_json()[0]["content"] == "Fixed."


def test_an_older_dump_without_the_key_imports_and_leaves_the_notes_alone(runner, tmp_path, client):
    imported(runner, tmp_path, release_notes_dump(*sample_release_notes()))
    before = answers(client)

    # Without the key a dump says nothing of release notes, even when it replaces the rest.
    output = imported(runner, tmp_path, dump(node("pack", version("1.0.0"))), "--replace")

    assert "release notes" not in output
    assert import_counts(output, "nodes") == "1 added, 0 updated, 0 unchanged, 0 removed"
    assert answers(client) == before


def test_replace_removes_the_notes_the_dumps_lack_and_a_merge_keeps_them(runner, tmp_path, client):
    imported(runner, tmp_path, release_notes_dump(*sample_release_notes()))

    merged = imported(runner, tmp_path, release_notes_dump(release_note(99, "0.5.0")))
    assert import_counts(merged, "release notes") == "1 added, 0 updated, 0 unchanged, 0 removed"
    replaced = imported(
        runner, tmp_path, release_notes_dump(release_note(99, "0.5.0")), "--replace"
    )

    assert import_counts(replaced, "release notes") == "0 added, 0 updated, 1 unchanged, 7 removed"
    assert [n["id"] for n in client.get("/releases?project=comfyui").get_json()] == [99]
    emptied = imported(runner, tmp_path, release_notes_dump(), "--replace")
    assert import_counts(emptied, "release notes") == "0 added, 0 updated, 0 unchanged, 1 removed"


def test_later_dumps_win_for_a_note_both_carry(runner, tmp_path, client):
    first = tmp_path / "first.json"
    second = tmp_path / "second.json"
    first.write_text(json.dumps(release_notes_dump(release_note(1, "1.0.0", content="Old."))))
    second.write_text(json.dumps(release_notes_dump(release_note(1, "1.0.0", content="New."))))

    import_into(runner, first, second)

    assert client.get("/releases?project=comfyui").get_json()[0]["content"] == "New."


@pytest.mark.parametrize(
    "note,problem",
    [
        (
            release_note(1, "1.0.0", attention="urgent"),
            "release_notes[0].attention: Must be one of",
        ),
        (release_note(1, "1.0.0", project="nodes"), "release_notes[0].project: Must be one of"),
        (release_note(1, "1.0.0", locale="de"), "release_notes[0].locale: Must be one of"),
        (
            {k: v for k, v in release_note(1, "1.0.0").items() if k != "locale"},
            "release_notes[0].locale: Missing data for required field.",
        ),
        (release_note("1", "1.0.0"), "release_notes[0].id: Not a valid integer."),
        (release_note(-1, "1.0.0"), "release_notes[0].id: Must be greater than or equal to 0"),
        (release_note(1, "1.0/0"), "release_notes[0].version: Must not contain '/' or '\\'."),
        (
            release_note(1, "1.0.0", published_at="yesterday"),
            "release_notes[0].published_at: Not a valid datetime.",
        ),
        (
            release_note(1, "1.0.0", content="x" * 100_001),
            "release_notes[0].content: Longer than 100,000 characters (100,001).",
        ),
        ("a note", "release_notes[0]: Invalid input type."),
    ],
)
def test_a_bad_note_is_refused_by_its_place_and_nothing_is_imported(
    runner, tmp_path, client, note, problem
):
    document = release_notes_dump(note)
    document["nodes"] = [node("pack", version("1.0.0"))]

    result = import_dump(runner, tmp_path, document)

    assert_refused(result, f"dump.json: {problem}")
    assert client.get("/nodes/pack").status_code == 404


def test_a_note_given_twice_in_one_dump_is_refused(runner, tmp_path):
    result = import_dump(
        runner, tmp_path, release_notes_dump(release_note(5, "1.0.0"), release_note(5, "1.1.0"))
    )

    assert_refused(result, "dump.json: release_notes[1].id: Duplicate of release_notes[0] (5).")


def test_more_notes_than_the_limit_are_refused(runner, tmp_path):
    notes = [release_note(index, "1.0.0") for index in range(10_001)]

    result = import_dump(runner, tmp_path, release_notes_dump(*notes))

    assert_refused(result, "dump.json: release_notes: More than 10,000 release notes.")


def test_a_refused_import_writes_no_release_note(runner, tmp_path, client):
    document = release_notes_dump(release_note(1, "1.0.0"))
    document["nodes"] = [node("bad id!", version("1.0.0"))]

    assert_refused(import_dump(runner, tmp_path, document))
    assert client.get("/releases?project=comfyui").get_json() == []


@pytest.mark.parametrize("target", ["export.json.gz", "bundle"])
def test_an_export_imported_elsewhere_answers_releases_byte_for_byte_alike(
    runner, tmp_path, client, empty_mirror, target
):
    imported(runner, tmp_path, release_notes_dump(*sample_release_notes()))
    options = ["--with-archives"] if target == "bundle" else []
    exported = runner.invoke(args=["mirror", "export", *options, str(tmp_path / target)])
    assert exported.exit_code == 0, exported.output

    import_into(empty_mirror, tmp_path / target)

    assert answers(empty_mirror.test_client()) == answers(client)


def test_an_export_of_a_mirror_without_notes_carries_an_empty_list(runner, tmp_path):
    exported = runner.invoke(args=["mirror", "export", str(tmp_path / "export.json")])
    assert exported.exit_code == 0, exported.output

    assert json.loads((tmp_path / "export.json").read_text())["release_notes"] == []


def test_status_counts_release_notes(runner, tmp_path, client):
    imported(runner, tmp_path, release_notes_dump(*sample_release_notes()))

    assert client.get("/status").get_json()["release_notes"] == 7
    assert "Release notes: 7\n" in runner.invoke(args=["mirror", "status"]).output
