"""Files written whole or not at all (services/files.py): exports, manifests, downloads."""

import os

import pytest

from services.files import atomic_file


def leftovers(folder) -> list[str]:
    """Every name in `folder`, hidden temporary files included."""
    return sorted(os.listdir(folder))


def test_an_atomic_file_replaces_the_old_content_whole(tmp_path):
    target = tmp_path / "dump.json"
    target.write_bytes(b"old")

    with atomic_file(str(target)) as out:
        out.write(b"new ")
        out.write(b"content")

    assert target.read_bytes() == b"new content"
    assert leftovers(tmp_path) == ["dump.json"]


def test_an_atomic_file_that_fails_leaves_the_old_content_and_no_temporary_file(tmp_path):
    target = tmp_path / "dump.json"
    target.write_bytes(b"old")

    with pytest.raises(RuntimeError), atomic_file(str(target)) as out:
        out.write(b"half")
        raise RuntimeError("the disk filled up")

    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path) == ["dump.json"]


def test_an_atomic_file_makes_its_missing_folder(tmp_path):
    target = tmp_path / "new" / "folder" / "manifest.json"

    with atomic_file(str(target)) as out:
        out.write(b"{}")

    assert target.read_bytes() == b"{}"


def test_an_atomic_file_gets_the_permissions_a_plain_open_gives(tmp_path):
    plain = tmp_path / "plain"
    plain.write_bytes(b"")

    with atomic_file(str(tmp_path / "atomic")) as out:
        out.write(b"")

    assert (tmp_path / "atomic").stat().st_mode == plain.stat().st_mode
