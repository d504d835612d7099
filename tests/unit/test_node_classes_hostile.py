"""Hostile archives never crash, hang or fill memory: each bad file is skipped (noted) while the
rest of the pack is still indexed, and an unreadable pack is "not indexed: <reason>"."""

import os
import random
import tarfile
import zipfile

import pytest

from services.node_classes import ScannedPack, scan_archive
from tests.packs import scan_files, tar_link, write_tar_gz, write_zip

MIB = 1024 * 1024
GOOD = {
    "__init__.py": "from .nodes import NODE_CLASS_MAPPINGS\n",
    "nodes.py": "class Good:\n    CATEGORY = 'ok'\n\nNODE_CLASS_MAPPINGS = {'Good': Good}\n",
}
GOOD_NODES = ({"comfy_node_name": "Good", "category": "ok"},)


def assert_good_pack_with_note(pack: ScannedPack, note: str) -> None:
    """The good nodes were found, and one note says the bad file was skipped and why."""
    assert pack.problem is None
    assert pack.comfy_nodes == GOOD_NODES
    assert any(note in line for line in pack.notes), pack.notes


def test_a_zip_bomb_member_is_skipped_by_its_compression_ratio(tmp_path):
    pack = scan_files(tmp_path, {**GOOD, "bomb.py": b"#" * (3 * MIB)})

    assert_good_pack_with_note(pack, "bomb.py: skipped: compressed more than 100:1")


def test_a_bomb_member_past_the_size_cap_is_skipped_without_reading_it_whole(tmp_path):
    # The ratio check off, so the size cap is what stops reading: 200 MiB never held in memory.
    pack = scan_files(tmp_path, {**GOOD, "bomb.py": b" " * (200 * MIB)}, max_ratio=10**9)

    assert_good_pack_with_note(pack, "bomb.py: skipped: larger than 4,194,304 bytes")


def test_a_tar_gz_that_decompresses_past_the_ratio_is_not_indexed(tmp_path):
    padding = tarfile.TarInfo("weights.bin")
    padding.size = 64 * MIB
    path = write_tar_gz(tmp_path / "pack.tar.gz", GOOD, extra=[(padding, bytes(64 * MIB))])

    assert scan_archive(path).problem == "not indexed: it decompresses more than 100:1"


def test_a_huge_file_is_skipped(tmp_path):
    noise = random.Random(1).randbytes(MIB * 22 // 10).hex().encode()  # barely compressible
    for kind in ("zip", "tar.gz"):
        pack = scan_files(tmp_path, {**GOOD, "huge.py": b"x = '" + noise + b"'\n"}, kind)

        assert_good_pack_with_note(pack, "huge.py: skipped: larger than 4,194,304 bytes")


def test_py_files_past_the_total_cap_leave_the_pack_not_indexed(tmp_path):
    pack = scan_files(tmp_path, {**GOOD, "more.py": "x = 1\n" * 100}, max_total_bytes=300)

    assert pack == ScannedPack(problem="not indexed: its .py files hold more than 300 bytes")


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("def broken(:\n", "a syntax error on line 1: "),
        ('print "hello from Python 2"\n', "line 1: Missing parentheses in call to 'print'"),
        ("x = 1\0\n", "a syntax error: source code string cannot contain null bytes"),
        ("x = " + "(" * 100_000 + "1" + ")" * 100_000 + "\n", "bad.py: skipped"),
        ("x = " + "[" * 100_000 + "]" * 100_000 + "\n", "bad.py: skipped"),
        ("x = " + "-" * 100_000 + "1\n", "bad.py: skipped"),
        ("x = 1" + " + 1" * 200_000 + "\n", "bad.py: skipped"),
        ("x = '" + "a" * 200_000 + "'\n", "a line longer than 100,000 characters"),
        (b"# caf\xe9\nx = 1\n", "not UTF-8 and no coding line"),
        (b"# -*- coding: klingon -*-\nx = 1\n", "an unknown encoding in its coding line: klingon"),
    ],
    ids=[
        "syntax-error",
        "python-2",
        "nul-byte",
        "nested-parentheses",
        "nested-lists",
        "nested-unary",
        "long-sum",
        "long-line",
        "latin-1",
        "unknown-coding",
    ],
)
def test_a_file_that_cannot_be_parsed_is_skipped_and_the_rest_indexed(tmp_path, text, note):
    pack = scan_files(
        tmp_path,
        {
            **GOOD,
            "bad.py": text,
            "__init__.py": "from .bad import *\nfrom .nodes import NODE_CLASS_MAPPINGS\n",
        },
    )

    assert_good_pack_with_note(pack, note)


def test_a_latin_1_file_with_a_coding_line_is_read(tmp_path):
    nodes = b"# -*- coding: latin-1 -*-\nclass Caf:\n    CATEGORY = 'caf\xe9'\n"
    nodes += b"NODE_CLASS_MAPPINGS = {'Caf\xe9': Caf}\n"
    pack = scan_files(tmp_path, {"__init__.py": "from .nodes import *\n", "nodes.py": nodes})

    assert pack.comfy_nodes == ({"comfy_node_name": "Café", "category": "café"},)


def test_a_pack_whose_every_file_fails_is_not_indexed(tmp_path):
    pack = scan_files(tmp_path, {"__init__.py": 'print "Python 2"\n', "nodes.py": "def (\n"})

    assert pack.problem == (
        "not indexed: no .py file could be parsed (__init__.py: skipped: a syntax error on line 1: "
        "Missing parentheses in call to 'print'. Did you mean print(...)?)"
    )
    assert pack.comfy_nodes == ()


def test_links_and_devices_in_a_tar_are_skipped(tmp_path):
    extra = [
        tar_link("link.py", "/etc/passwd"),
        tar_link("hard.py", "nodes.py", tarfile.LNKTYPE),
        tar_link("device.py", "", tarfile.CHRTYPE),
        tar_link("fifo.py", "", tarfile.FIFOTYPE),
    ]
    files = {**GOOD, "__init__.py": "from .link import *\nfrom .nodes import NODE_CLASS_MAPPINGS\n"}
    path = write_tar_gz(tmp_path / "pack.tar.gz", files, extra=extra)

    pack = scan_archive(path)

    for name in ("link.py", "hard.py", "device.py", "fifo.py"):
        assert_good_pack_with_note(pack, f"{name}: skipped: not a regular file")


def test_a_symbolic_link_in_a_zip_is_skipped(tmp_path):
    path = write_zip(tmp_path / "pack.zip", GOOD)
    with zipfile.ZipFile(path, "a") as archive:
        link = zipfile.ZipInfo("link.py")
        link.external_attr = 0o120777 << 16
        archive.writestr(link, "/etc/passwd")

    assert_good_pack_with_note(scan_archive(path), "link.py: skipped: a symbolic link")


ABSURD_NAMES = ["/etc/nodes.py", "../nodes.py", "a/../../nodes.py", "nul\0.py", "a" * 2000 + ".py"]


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_members_with_absurd_names_are_never_read(tmp_path, kind):
    hostile = "class Evil:\n    pass\nNODE_CLASS_MAPPINGS = {'Evil': Evil}\n"
    files = {"__init__.py": "from .nodes import NODE_CLASS_MAPPINGS\n"}
    files |= {name: hostile for name in ABSURD_NAMES if kind == "zip" or "\0" not in name}
    files["nodes.py"] = GOOD["nodes.py"]

    pack = scan_files(tmp_path, files, kind)

    assert pack.problem is None
    assert pack.comfy_nodes == GOOD_NODES
    assert "Evil" not in str(pack.notes)


def test_ten_thousand_members_are_read(tmp_path):
    files = {f"nodes/n{i}.py": f"class N{i}:\n    CATEGORY = 'c{i}'\n" for i in range(9_998)}
    files["nodes/__init__.py"] = "from .n9997 import N9997\n"
    files["__init__.py"] = "from .nodes import N9997\nNODE_CLASS_MAPPINGS = {'Last': N9997}\n"

    pack = scan_files(tmp_path, files)

    assert pack.comfy_nodes == ({"comfy_node_name": "Last", "category": "c9997"},)


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_more_members_than_the_cap_leave_the_pack_not_indexed(tmp_path, kind):
    files = {**GOOD, **{f"assets/{i}.txt": "" for i in range(50)}}

    pack = scan_files(tmp_path, files, kind, max_members=50)

    assert pack == ScannedPack(problem="not indexed: it holds more than 50 members")


def test_a_zip_whose_directory_declares_too_many_members_is_refused_before_reading_it(tmp_path):
    path = write_zip(tmp_path / "pack.zip", GOOD)
    data = bytearray(path.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    data[end + 8 : end + 12] = (65_000).to_bytes(2, "little") * 2  # the counts the zip declares
    path.write_bytes(bytes(data))

    assert scan_archive(path).problem == "not indexed: it holds more than 20,000 members"


def test_the_time_bound_stops_the_scan(tmp_path):
    pack = scan_files(tmp_path, GOOD, max_seconds=-1)

    assert pack.problem == "not indexed: reading it took longer than -1 s"


def test_the_statement_budget_stops_a_pack_that_loops_too_much(tmp_path):
    loops = "ITEMS = [" + "1, " * 999 + "]\nfor a in ITEMS:\n    for b in ITEMS:\n        x = 1\n"
    pack = scan_files(tmp_path, {**GOOD, "__init__.py": loops + GOOD["__init__.py"]})

    assert pack.problem == "not indexed: following it took more than 200,000 statements"


def test_encrypted_zip_members_are_skipped(tmp_path):
    path = write_zip(tmp_path / "pack.zip", {**GOOD, "secret.py": "x = 1\n"})
    data = bytearray(path.read_bytes())
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            name_length_at = 26 if signature == b"PK\x03\x04" else 28
            name_start = start + (30 if signature == b"PK\x03\x04" else 46)
            length = int.from_bytes(
                data[start + name_length_at : start + name_length_at + 2], "little"
            )
            if data[name_start : name_start + length] == b"secret.py":
                data[start + flag_at] |= 1
            start += 4
    path.write_bytes(bytes(data))

    assert_good_pack_with_note(scan_archive(path), "secret.py: skipped: encrypted")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "not indexed: not a zip or tar.gz archive"),
        (b"just some text", "not indexed: not a zip or tar.gz archive"),
        (
            b"PK\x03\x04" + bytes(100),
            "not indexed: not a readable zip: no end of central directory",
        ),
        (b"\x1f\x8b" + bytes(100), "not indexed: not a readable tar.gz"),
    ],
)
def test_files_that_are_not_archives_are_not_indexed(tmp_path, content, problem):
    path = tmp_path / "node.zip"
    path.write_bytes(content)

    assert scan_archive(path).problem.startswith(problem)


def test_a_pack_without_python_files_is_not_indexed(tmp_path):
    pack = scan_files(tmp_path, {"web/extension.js": "export {}"})

    assert pack.problem == "not indexed: it holds no readable .py file"


def test_a_missing_file_is_not_indexed(tmp_path):
    assert scan_archive(tmp_path / "gone.zip").problem.startswith("not indexed: unreadable")


def test_truncated_and_random_archives_never_raise(tmp_path):
    rng = random.Random(11)
    files = {**GOOD, **{f"more/m{i}.py": f"class M{i}:\n    pass\n" * 50 for i in range(20)}}
    originals = [
        write_zip(tmp_path / "whole.zip", files).read_bytes(),
        write_tar_gz(tmp_path / "whole.tar.gz", files).read_bytes(),
    ]
    path = tmp_path / "fuzzed"
    for original in originals:
        for _ in range(150):
            data = bytearray(original[: rng.randrange(len(original) + 1)])
            for _ in range(rng.randrange(4)):
                if data:
                    data[rng.randrange(len(data))] = rng.randrange(256)
            path.write_bytes(bytes(data))
            pack = scan_archive(path)
            assert pack.problem is None or pack.problem.startswith("not indexed: ")
    for prefix in (b"PK\x03\x04", b"\x1f\x8b", b""):
        for _ in range(50):
            path.write_bytes(prefix + os.urandom(rng.randrange(2000)))
            assert scan_archive(path).problem.startswith("not indexed: ")


def test_modules_past_the_parse_budget_are_left_unresolved(tmp_path):
    files = {
        "__init__.py": "from .nodes import NODE_CLASS_MAPPINGS\n",
        "nodes.py": "from .base import Base\nclass Good(Base):\n    pass\n"
        "NODE_CLASS_MAPPINGS = {'Good': Good}\n",
        "base.py": "class Base:\n    CATEGORY = 'ok'\n" + "# padding\n" * 100,
    }

    pack = scan_files(tmp_path, files, max_parsed_bytes=200)

    assert pack.comfy_nodes == ({"comfy_node_name": "Good"},)
    assert pack.notes == ("base.py: not parsed: past 200 bytes",)


def test_a_pack_registering_too_many_classes_is_not_indexed(tmp_path):
    mapping = ", ".join(f"'N{i}': Good" for i in range(11))
    files = {"__init__.py": f"class Good:\n    pass\nNODE_CLASS_MAPPINGS = {{{mapping}}}\n"}

    pack = scan_files(tmp_path, files, max_comfy_nodes=10)

    assert pack.problem == "not indexed: it registers more than 10 node classes"
