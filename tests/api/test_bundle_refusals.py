"""`flask mirror import` refusing damaged bundles: every file verified first, and any problem
refused naming its place, leaving the database and archive directory untouched."""

import shutil
from pathlib import Path

import pytest

from services.archives import ArchiveStore
from tests.bundles import (
    archive_bytes,
    archive_path,
    as_form,
    assert_refused,
    edit_manifest,
    file_entry,
    flip_byte,
    import_into,
    mirror_app,
    mirror_state,
    read_manifest,
    run_import,
    sha256,
    stored_files,
    tar_bundle,
    two_packs,
    upstream_version,
    write_bundle,
    write_manifest,
)
from tests.dumps import dump, node, write
from tests.mirrors import NODE_ID_RULE


@pytest.fixture(scope="module")
def held_mirror(tmp_path_factory):
    """A mirror already holding a bundle's node and archive, for refusals to leave untouched.

    Shared by the refusal tests to keep them fast: each compares the whole state of the mirror
    before and after its own import, so a leak shows in the test that caused it.
    """
    folder = tmp_path_factory.mktemp("held")
    document = dump(node("kept", upstream_version("kept", "1.0.0")))
    with mirror_app(folder / "mirror") as app:
        import_into(app, write_bundle(folder / "previous", document))
        assert stored_files(app)
        yield app


# Damage done to a good bundle folder, and the problem the refusal names ({label}: the bundle).
def wrong_size(folder: Path) -> str:
    """The manifest gives one archive a size one byte too large."""
    size = (folder / archive_path("Pack-One", "1.1.0")).stat().st_size
    edit_manifest(folder, lambda m: m["archives"][1].update(size=size + 1))
    return (
        "{label}/manifest.json: archives[1]: archives/Pack-One/1.1.0.zip is "
        f"{size} bytes, the manifest says {size + 1}."
    )


def wrong_sha256(folder: Path) -> str:
    """One byte of an archive flipped: same size, another sha256."""
    flip_byte(folder / archive_path("Pack-One", "1.1.0"))
    given = read_manifest(folder)["archives"][1]["sha256"]
    actual = sha256((folder / archive_path("Pack-One", "1.1.0")).read_bytes())
    return (
        "{label}/manifest.json: archives[1]: archives/Pack-One/1.1.0.zip has sha256 "
        f"{actual}, the manifest says {given}."
    )


def missing_archive(folder: Path) -> str:
    """An archive the manifest lists is not in the bundle."""
    (folder / archive_path("pack-two", "0.1.0")).unlink()
    return "{label}/manifest.json: archives[2].path: 'archives/pack-two/0.1.0.zip' is not a file in"


def missing_dump(folder: Path) -> str:
    """The dump the manifest names is not in the bundle."""
    (folder / "dump.json.gz").unlink()
    return "{label}/manifest.json: dump.path: 'dump.json.gz' is not a file in"


def dump_sha256_mismatch(folder: Path) -> str:
    """One byte of the dump flipped: same size, another sha256."""
    flip_byte(folder / "dump.json.gz")
    given = read_manifest(folder)["dump"]["sha256"]
    actual = sha256((folder / "dump.json.gz").read_bytes())
    return (
        f"{{label}}/manifest.json: dump: dump.json.gz has sha256 {actual}, "
        f"the manifest says {given}."
    )


def archive_for_a_version_not_in_the_dump(folder: Path) -> str:
    """An archive, correctly listed, for a version the dump lacks."""
    raw = archive_bytes("pack-two", "9.9.9")
    (folder / archive_path("pack-two", "9.9.9")).write_bytes(raw)
    entry = {"node_id": "pack-two", "version": "9.9.9"}
    entry.update(file_entry(archive_path("pack-two", "9.9.9"), raw))
    edit_manifest(folder, lambda m: m["archives"].append(entry))
    return (
        "{label}/manifest.json: archives[3]: version '9.9.9' of node 'pack-two' "
        "is not in the bundle's dump."
    )


def archive_for_a_node_not_in_the_dump(folder: Path) -> str:
    """An archive, correctly listed, for a node the dump lacks."""
    raw = archive_bytes("stranger", "1.0.0")
    (folder / archive_path("stranger", "1.0.0")).parent.mkdir()
    (folder / archive_path("stranger", "1.0.0")).write_bytes(raw)
    entry = {"node_id": "stranger", "version": "1.0.0"}
    entry.update(file_entry(archive_path("stranger", "1.0.0"), raw))
    edit_manifest(folder, lambda m: m["archives"].append(entry))
    return "{label}/manifest.json: archives[3]: version '1.0.0' of node 'stranger' is not in"


def second_archive_for_a_version(folder: Path) -> str:
    """The manifest lists one version's archive twice."""
    edit_manifest(folder, lambda m: m["archives"].append(dict(m["archives"][0])))
    return "{label}/manifest.json: archives[3]: a second archive for Pack-One 1.0.0"


def second_archive_for_a_version_in_other_case(folder: Path) -> str:
    """A second archive for a version, its node id in other case."""
    edit_manifest(
        folder, lambda m: m["archives"].append({**m["archives"][0], "node_id": "pack-one"})
    )
    return "{label}/manifest.json: archives[3]: a second archive for pack-one 1.0.0"


def newer_format_version(folder: Path) -> str:
    """A manifest of a later format (whose other fields this mirror cannot read)."""
    edit_manifest(folder, lambda m: m.update(format_version=2, archives=5))
    return (
        "{label}/manifest.json: format_version 2 is newer than this mirror reads (format_version 1)"
    )


def manifest_not_json(folder: Path) -> str:
    """A manifest cut short: not JSON."""
    write_manifest(folder, b'{"format": "comfy-registry-bundle",')
    return "{label}/manifest.json: not valid JSON"


def manifest_of_a_dump(folder: Path) -> str:
    """A manifest whose format is not a bundle's."""
    edit_manifest(folder, lambda m: m.update(format="comfy-registry-dump"))
    return "{label}/manifest.json: format: Must be equal to comfy-registry-bundle."


def manifest_without_dump(folder: Path) -> str:
    """A manifest that names no dump."""
    edit_manifest(folder, lambda m: m.pop("dump"))
    return "{label}/manifest.json: dump: Missing data for required field."


def manifest_size_as_string(folder: Path) -> str:
    """A size given as a string."""
    edit_manifest(folder, lambda m: m["archives"][0].update(size="1190"))
    return "{label}/manifest.json: archives[0].size: Not a valid integer."


def manifest_sha256_upper_case(folder: Path) -> str:
    """A digest in upper case."""
    upper = read_manifest(folder)["archives"][0]["sha256"].upper()
    edit_manifest(folder, lambda m: m["archives"][0].update(sha256=upper))
    return "{label}/manifest.json: archives[0].sha256: Not a lower-case hex sha256 digest."


def manifest_is_a_list(folder: Path) -> str:
    """A manifest that is JSON but not an object."""
    write_manifest(folder, b"[]")
    return "{label}/manifest.json: the manifest is not a JSON object."


def bad_value_in_the_dump(folder: Path) -> str:
    """A dump, correctly listed, with one bad value inside."""
    document = two_packs()
    document["nodes"][1]["versions"][0]["createdAt"] = "yesterday"
    raw = write(folder / "dump.json.gz", document, compress=True).read_bytes()
    edit_manifest(folder, lambda m: m.update(dump=file_entry("dump.json.gz", raw)))
    return "{label}/dump.json.gz: nodes[1].versions[0].createdAt: Not a valid datetime."


def archive_linked_outside(folder: Path) -> str:
    """An archive that is a symlink to a file outside the bundle."""
    outside = folder.parent / "outside.zip"
    target = folder / archive_path("Pack-One", "1.1.0")
    shutil.move(target, outside)
    target.symlink_to(outside)
    return "{label}/manifest.json: archives[1].path: 'archives/Pack-One/1.1.0.zip' is not a file in"


def dump_linked_outside(folder: Path) -> str:
    """A dump that is a symlink to a file outside the bundle."""
    outside = folder.parent / "outside.json.gz"
    shutil.move(folder / "dump.json.gz", outside)
    (folder / "dump.json.gz").symlink_to(outside)
    return "{label}/manifest.json: dump.path: 'dump.json.gz' is not a file in"


def archives_folder_linked_outside(folder: Path) -> str:
    """The archives folder is a symlink to a folder outside the bundle."""
    outside = folder.parent / "outside"
    shutil.move(folder / "archives", outside)
    (folder / "archives").symlink_to(outside, target_is_directory=True)
    return "{label}/manifest.json: archives[0].path: 'archives/Pack-One/1.0.0.zip' is not a file in"


DAMAGES = [
    wrong_size,
    wrong_sha256,
    missing_archive,
    missing_dump,
    dump_sha256_mismatch,
    archive_for_a_version_not_in_the_dump,
    archive_for_a_node_not_in_the_dump,
    second_archive_for_a_version,
    second_archive_for_a_version_in_other_case,
    newer_format_version,
    manifest_not_json,
    manifest_of_a_dump,
    manifest_without_dump,
    manifest_size_as_string,
    manifest_sha256_upper_case,
    manifest_is_a_list,
    bad_value_in_the_dump,
    archive_linked_outside,
    dump_linked_outside,
    archives_folder_linked_outside,
]


@pytest.mark.parametrize("form", ["folder", "tar"])
@pytest.mark.parametrize("damage", DAMAGES, ids=lambda damage: damage.__name__)
def test_damaged_bundle_is_refused_naming_the_place_and_changes_nothing(
    held_mirror, tmp_path, form, damage
):
    folder = write_bundle(tmp_path / "bundle", two_packs())
    problem = damage(folder)
    bundle = as_form(folder, form)
    before = mirror_state(held_mirror)

    result = run_import(held_mirror, bundle)

    assert_refused(result, problem.format(label=bundle))
    assert mirror_state(held_mirror) == before


@pytest.mark.parametrize(
    "escaping", ["../outside.zip", "/etc/passwd", "archives/../../outside.zip"]
)
def test_manifest_path_leaving_the_bundle_is_refused(held_mirror, tmp_path, escaping):
    folder = write_bundle(tmp_path / "bundle", two_packs())
    raw = archive_bytes("Pack-One", "1.0.0")
    (tmp_path / "outside.zip").write_bytes(raw)
    edit_manifest(folder, lambda m: m["archives"][0].update(file_entry(escaping, raw)))
    before = mirror_state(held_mirror)

    result = run_import(held_mirror, folder)

    assert_refused(
        result, f"{folder}/manifest.json: archives[0].path: {escaping!r} would leave the bundle."
    )
    assert mirror_state(held_mirror) == before


def test_dump_path_leaving_the_bundle_is_refused(held_mirror, tmp_path):
    folder = write_bundle(tmp_path / "bundle", two_packs())
    shutil.move(folder / "dump.json.gz", tmp_path / "dump.json.gz")
    raw = (tmp_path / "dump.json.gz").read_bytes()
    edit_manifest(folder, lambda m: m.update(dump=file_entry("../dump.json.gz", raw)))
    before = mirror_state(held_mirror)

    result = run_import(held_mirror, folder)

    assert_refused(
        result, f"{folder}/manifest.json: dump.path: '../dump.json.gz' would leave the bundle."
    )
    assert mirror_state(held_mirror) == before


@pytest.mark.parametrize(
    ("member", "manifest_path", "problem"),
    [
        pytest.param(
            "../outside.zip", "../outside.zip", "would leave the bundle.", id="named-in-manifest"
        ),
        pytest.param(
            "archives/../../archives/Pack-One/1.0.0.zip",
            "archives/Pack-One/1.0.0.zip",
            "is not a file in",
            id="normalizing-onto-an-entry",
        ),
    ],
)
def test_tar_member_path_with_dot_dot_is_refused(
    held_mirror, tmp_path, member, manifest_path, problem
):
    folder = write_bundle(tmp_path / "bundle", two_packs())
    raw = (folder / archive_path("Pack-One", "1.0.0")).read_bytes()
    (folder / archive_path("Pack-One", "1.0.0")).unlink()
    edit_manifest(folder, lambda m: m["archives"][0].update(path=manifest_path))
    bundle = tar_bundle(folder, tmp_path / "bundle.tar", extra_members={member: raw})
    before = mirror_state(held_mirror)

    result = run_import(held_mirror, bundle)

    assert_refused(result, f"{bundle}/manifest.json: archives[0].path: {manifest_path!r} {problem}")
    assert mirror_state(held_mirror) == before
    assert not (tmp_path.parent / "outside.zip").exists()


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        pytest.param("node_id", "..", NODE_ID_RULE, id="node-id-dot-dot"),
        pytest.param("node_id", "a/b", NODE_ID_RULE, id="node-id-slash"),
        pytest.param("node_id", "", NODE_ID_RULE, id="node-id-empty"),
        pytest.param("version", "..", "Must not contain '..'.", id="version-dot-dot"),
        pytest.param("version", "a/b", "Must not contain '/' or '\\'.", id="version-slash"),
        pytest.param("version", "1.0\n", "Must not contain control characters.", id="newline"),
        pytest.param("version", 1, "Not a valid string.", id="version-number"),
    ],
)
def test_bad_node_id_or_version_in_the_manifest_is_refused(
    held_mirror, tmp_path, key, value, problem
):
    folder = write_bundle(tmp_path / "bundle", two_packs())
    edit_manifest(folder, lambda m: m["archives"][2].update({key: value}))
    before = mirror_state(held_mirror)

    result = run_import(held_mirror, folder)

    assert_refused(result, f"{folder}/manifest.json: archives[2].{key}: {problem}")
    assert mirror_state(held_mirror) == before


def test_every_problem_of_a_bundle_is_listed_not_just_the_first(held_mirror, tmp_path):
    folder = write_bundle(tmp_path / "bundle", two_packs())
    first, last = wrong_size(folder), missing_archive(folder)

    result = run_import(held_mirror, folder)

    assert_refused(result, first.format(label=folder), last.format(label=folder))


def test_a_bundle_refused_for_a_missing_file_also_names_each_archive_with_another_sha256(
    held_mirror, tmp_path
):
    folder = write_bundle(tmp_path / "bundle", two_packs())
    missing, corrupt = missing_dump(folder), wrong_sha256(folder)

    result = run_import(held_mirror, folder)

    assert_refused(result, missing.format(label=folder), corrupt.format(label=folder))


def test_a_bundle_whose_dump_is_invalid_is_refused_before_its_archives_are_hashed(
    held_mirror, tmp_path
):
    folder = write_bundle(tmp_path / "bundle", two_packs())
    invalid, corrupt = bad_value_in_the_dump(folder), wrong_sha256(folder)
    before = mirror_state(held_mirror)

    result = run_import(held_mirror, folder)

    assert_refused(result, invalid.format(label=folder))
    assert corrupt.format(label=folder) not in result.output
    assert mirror_state(held_mirror) == before


def test_archive_directory_failure_while_publishing_leaves_no_new_files_and_the_database_unchanged(
    held_mirror, tmp_path, monkeypatch
):
    publish = ArchiveStore.publish

    def publish_one_then_fail(store, staged, created):
        publish(store, list(staged)[:1], created)
        assert created, "the first archive should have been moved into place"
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ArchiveStore, "publish", publish_one_then_fail)
    bundle = write_bundle(tmp_path / "bundle", two_packs())
    before = mirror_state(held_mirror)

    result = run_import(held_mirror, bundle)

    assert result.exit_code != 0
    after = mirror_state(held_mirror)
    assert after["archive files"] == before["archive files"]
    assert after["tables"] == before["tables"]


def test_archive_directory_failure_while_publishing_is_reported_as_a_refusal(
    held_mirror, tmp_path, monkeypatch
):
    def no_space(store, staged, created):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ArchiveStore, "publish", no_space)
    bundle = write_bundle(tmp_path / "bundle", two_packs())

    result = run_import(held_mirror, bundle)

    assert_refused(result, "No space left on device")
