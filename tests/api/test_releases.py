"""GET /releases and GET /features: filtering, order, locales, bad parameters, and upstream's
schemas for the answers (the frontend's own startup call included)."""

import pytest

from tests.api.test_upstream_contract import (
    upstream_document,
    upstream_operation,
    validate_upstream,
)
from tests.dumps import imported
from tests.release_notes import MARKDOWN, release_note, release_notes_dump, sample_release_notes

# What the ComfyUI frontend asks on every page load.
FRONTEND_STARTUP = "/releases?project=comfyui&current_version=0.3.64&form_factor=other&locale=en"


@pytest.fixture
def notes(runner, tmp_path) -> None:
    """The app holds tests.release_notes.sample_release_notes()."""
    imported(runner, tmp_path, release_notes_dump(*sample_release_notes()))


def versions(client, url: str) -> list[tuple[str, int]]:
    """The (version, id) of each note GET `url` answers, in order."""
    response = client.get(url)
    assert response.status_code == 200, response.data
    return [(note["version"], note["id"]) for note in response.get_json()]


def test_the_frontends_startup_call_gets_notes_valid_against_upstreams_schema(notes, client):
    response = client.get(FRONTEND_STARTUP)

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    documented = upstream_operation("/releases", "GetReleaseNotes")["responses"]["200"]
    validate_upstream(documented["content"]["application/json"]["schema"], response.get_json())
    assert [(n["version"], n["id"]) for n in response.get_json()] == [
        ("0.4.0-rc.1", 16),
        ("0.3.65", 14),
        ("0.3.64", 13),
    ]


@pytest.mark.parametrize("url", [FRONTEND_STARTUP, "/releases?project=cloud"])
def test_with_no_release_notes_mirrored_the_answer_is_an_empty_list(client, url):
    response = client.get(url)

    assert (response.status_code, response.get_json()) == (200, [])


def test_notes_come_newest_release_first_by_semantic_version(notes, client):
    assert versions(client, "/releases?project=comfyui") == [
        ("0.4.0-rc.1", 16),
        ("0.3.65", 14),
        ("0.3.64", 13),
        ("0.3.10", 12),
        ("0.3.9", 11),
    ]


@pytest.mark.parametrize(
    "current_version,expected",
    [
        ("0.3.65", ["0.4.0-rc.1", "0.3.65"]),
        ("v0.3.65", ["0.4.0-rc.1", "0.3.65"]),
        ("0.3.10", ["0.4.0-rc.1", "0.3.65", "0.3.64", "0.3.10"]),
        ("0.4.0-beta.2", ["0.4.0-rc.1"]),
        ("0.4.0", []),
        ("0.3", ["0.4.0-rc.1", "0.3.65", "0.3.64", "0.3.10", "0.3.9"]),
        ("", ["0.4.0-rc.1", "0.3.65", "0.3.64", "0.3.10", "0.3.9"]),
    ],
)
def test_current_version_keeps_that_release_and_newer(notes, client, current_version, expected):
    url = f"/releases?project=comfyui&current_version={current_version}"

    assert [version for version, _ in versions(client, url)] == expected


def test_a_release_of_equal_version_is_ordered_by_publication_then_id(runner, tmp_path, client):
    imported(
        runner,
        tmp_path,
        release_notes_dump(
            release_note(1, "1.0.0", published_at="2025-01-01T00:00:00Z"),
            release_note(3, "1.0.0", published_at="2025-01-01T00:00:00Z"),
            release_note(2, "1.0.0", published_at="2025-02-01T00:00:00Z"),
        ),
    )

    assert versions(client, "/releases?project=comfyui") == [
        ("1.0.0", 2),
        ("1.0.0", 3),
        ("1.0.0", 1),
    ]


def test_only_the_projects_own_notes_are_served(notes, client):
    assert versions(client, "/releases?project=comfyui_frontend") == [("1.28.0", 21)]
    assert versions(client, "/releases?project=desktop") == []


def test_a_locale_gets_its_translations_and_english_where_a_release_has_none(notes, client):
    answered = client.get("/releases?project=comfyui&locale=fr&current_version=0.3.64").get_json()

    assert [(n["version"], n["id"]) for n in answered] == [
        ("0.4.0-rc.1", 16),
        ("0.3.65", 15),
        ("0.3.64", 13),
    ]
    assert answered[1]["content"] == "# v0.3.65 en français\n"


def test_locale_defaults_to_english(notes, client):
    assert versions(client, "/releases?project=comfyui&current_version=0.3.65") == [
        ("0.4.0-rc.1", 16),
        ("0.3.65", 14),
    ]


def test_form_factor_is_accepted_and_changes_nothing(notes, client):
    plain = client.get("/releases?project=comfyui").data

    for form_factor in ("other", "desktop-windows", "git-windows", ""):
        assert client.get(f"/releases?project=comfyui&form_factor={form_factor}").data == plain


def test_markdown_is_served_exactly_as_it_came(notes, client):
    [note] = client.get("/releases?project=comfyui&current_version=0.3.65").get_json()[1:]

    assert note["content"] == MARKDOWN
    assert note == {
        "attention": "high",
        "content": MARKDOWN,
        "id": 14,
        "project": "comfyui",
        "published_at": "2025-10-01T12:00:00.000000Z",
        "version": "0.3.65",
    }


@pytest.mark.parametrize(
    "query,message",
    [
        (
            "",
            "project: Missing: name the project, one of: comfyui, comfyui_frontend, desktop, "
            "cloud.",
        ),
        (
            "project=ComfyUI",
            "project: 'ComfyUI' is not a project; use one of: comfyui, comfyui_frontend, "
            "desktop, cloud.",
        ),
        (
            "project=comfyui&locale=de",
            "locale: 'de' is not a locale; use one of: en, es, fr, ja, ko, ru, zh.",
        ),
        (
            "project=comfyui&current_version=abc123",
            "current_version: 'abc123' is not a semantic version such as 0.3.64.",
        ),
        (
            "project=comfyui&current_version=0.3.64%00",
            "current_version: Must not contain control characters.",
        ),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(client, query, message):
    response = client.get(f"/releases?{query}")

    assert response.status_code == 400
    assert response.get_json() == {"error": "Bad Request", "message": message}
    documented = upstream_operation("/releases", "GetReleaseNotes")["responses"]["400"]
    validate_upstream(documented["content"]["application/json"]["schema"], response.get_json())


def test_features_answer_upstreams_shape_and_claim_no_partner_nodes(client):
    response = client.get("/features")

    assert response.status_code == 200
    documented = upstream_operation("/features", "GetFeatures")["responses"]["200"]
    validate_upstream(documented["content"]["application/json"]["schema"], response.get_json())
    assert response.get_json() == {"partner_node_conversion_rate": 0}


def test_releases_and_features_are_documented_with_upstreams_schemas(client):
    document = client.get("/openapi.json").get_json()
    releases = document["paths"]["/releases"]["get"]
    features = document["paths"]["/features"]["get"]

    assert (releases["operationId"], releases["tags"]) == ("GetReleaseNotes", ["Releases"])
    assert features["operationId"] == "GetFeatures"
    theirs = upstream_document()["components"]["schemas"]
    for name in ("ReleaseNote", "FeaturesResponse"):
        ours = document["components"]["schemas"][name]
        assert set(ours["properties"]) == set(theirs[name]["properties"]), name
        assert sorted(ours["required"]) == sorted(theirs[name]["required"]), name
