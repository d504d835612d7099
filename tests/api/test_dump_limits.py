"""Bounded reading of dumps and bundles: small hostile files that would expand to gigabytes are
refused (exit 1, one line naming the file and the setting) before they are read whole."""

import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tests.bundles import (
    REFUSED,
    edit_manifest,
    file_entry,
    import_into,
    mirror_app,
    mirror_state,
    run_import,
    tar_bundle,
    upstream_version,
    write_bundle,
)
from tests.dumps import dump, node

MIB = 1024 * 1024
# The test mirror's cap: small, so every hostile input here stays small and fast.
CAP = MIB
PROJECT = Path(__file__).resolve().parents[2]


def repeated_gzip(byte: bytes, mebibytes: int) -> bytes:
    """A gzip file of `mebibytes` MiB of one byte: one gzip member per MiB, concatenated."""
    return gzip.compress(byte * MIB, compresslevel=9) * mebibytes


def padded_dump(size: int) -> bytes:
    """A valid dump of a little more than `size` bytes (a long `source`)."""
    document = dump(node("padded", upstream_version("padded", "1.0.0")), source="x" * size)
    return json.dumps(document).encode()


def small_bundle(folder: Path) -> Path:
    """A valid bundle folder of one pack with its archive."""
    return write_bundle(folder, dump(node("small", upstream_version("small", "1.0.0"))))


def replace_dump(bundle: Path, raw: bytes, name: str = "dump.json.gz") -> None:
    """Give a bundle folder other dump bytes, with a manifest entry that matches them."""
    (bundle / "dump.json.gz").unlink()
    (bundle / name).write_bytes(raw)
    edit_manifest(bundle, lambda manifest: manifest.update(dump=file_entry(name, raw)))


@pytest.fixture(scope="module")
def capped(tmp_path_factory):
    """A mirror holding one pack, with MAX_DUMP_BYTES of 1 MiB; refusals must leave it as is."""
    folder = tmp_path_factory.mktemp("capped")
    held = dump(node("kept", upstream_version("kept", "1.0.0")))
    with mirror_app(folder / "mirror", MAX_DUMP_BYTES=CAP) as app:
        import_into(app, write_bundle(folder / "held", held))
        yield app


def assert_refused_in_one_line(app, path, *phrases: str) -> None:
    """Importing `path` exits 1 with the refusal and one problem line holding each phrase."""
    before = mirror_state(app)
    result = run_import(app, path)
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == REFUSED, result.output
    assert len(lines) == 2, result.output
    for phrase in phrases:
        assert phrase in lines[1], result.output
    assert mirror_state(app) == before


def test_gzip_dump_expanding_beyond_the_cap_is_refused(capped, tmp_path):
    path = tmp_path / "dump.json.gz"
    path.write_bytes(repeated_gzip(b" ", 2))

    assert_refused_in_one_line(
        capped, path, f"{path}: expands beyond 1,048,576 bytes (MIRROR_MAX_DUMP_BYTES): refused."
    )


def test_plain_dump_larger_than_the_cap_is_refused_before_reading(capped, tmp_path):
    path = tmp_path / "dump.json"
    path.write_bytes(padded_dump(CAP))

    assert_refused_in_one_line(
        capped, path, f"{path}: {path.stat().st_size:,} bytes, more than 1,048,576", "refused."
    )


def test_dump_of_exactly_the_cap_is_imported(tmp_path):
    raw = padded_dump(0)
    raw = padded_dump(CAP - len(raw))
    assert len(raw) == CAP
    path = tmp_path / "dump.json.gz"
    path.write_bytes(gzip.compress(raw))
    with mirror_app(tmp_path / "mirror", MAX_DUMP_BYTES=CAP) as app:
        import_into(app, path)


def test_gzip_bomb_is_refused_by_its_compression_ratio(tmp_path):
    path = tmp_path / "bomb.json.gz"
    path.write_bytes(repeated_gzip(b"\x00", 64))
    with mirror_app(tmp_path / "mirror") as app:
        assert_refused_in_one_line(
            app, path, f"{path}: expands more than 200 times", "(MIRROR_MAX_DUMP_RATIO): refused"
        )


def test_compression_ratio_is_configurable(tmp_path):
    path = tmp_path / "bomb.json.gz"
    path.write_bytes(repeated_gzip(b"\x00", 64))
    with mirror_app(tmp_path / "mirror", MAX_DUMP_RATIO=10_000) as app:
        result = run_import(app, path)
    # Allowed to expand, it is read whole and refused for what it is: not JSON.
    assert result.exit_code == 1
    assert "not valid UTF-8 JSON" in result.output


def test_small_dump_is_imported_whatever_its_compression_ratio(tmp_path):
    document = dump(
        node("repetitive", upstream_version("repetitive", "1.0.0"), description="ab" * 50_000)
    )
    raw = gzip.compress(json.dumps(document).encode(), compresslevel=9)
    assert len(json.dumps(document)) > 200 * len(raw)
    path = tmp_path / "dump.json.gz"
    path.write_bytes(raw)
    with mirror_app(tmp_path / "mirror", MAX_DUMP_RATIO=2) as app:
        import_into(app, path)


def test_bundle_whose_dump_expands_beyond_the_cap_is_refused(capped, tmp_path):
    bundle = small_bundle(tmp_path / "bundle")
    replace_dump(bundle, repeated_gzip(b"\x00", 2))

    assert_refused_in_one_line(
        capped, bundle, f"{bundle}/dump.json.gz: expands beyond 1,048,576 bytes", "refused."
    )


@pytest.mark.parametrize("form", ["folder", "tar"])
def test_bundle_dump_larger_than_the_cap_is_refused_before_reading(capped, tmp_path, form):
    bundle = small_bundle(tmp_path / "bundle")
    raw = padded_dump(CAP)
    replace_dump(bundle, raw, "dump.json")
    if form == "tar":
        bundle = tar_bundle(bundle, tmp_path / "bundle.tar")

    assert_refused_in_one_line(
        capped, bundle, f"{bundle}/dump.json: {len(raw):,} bytes, more than 1,048,576"
    )


def test_bundle_manifest_larger_than_the_cap_is_refused(capped, tmp_path):
    bundle = small_bundle(tmp_path / "bundle")
    manifest = bundle / "manifest.json"
    manifest.write_bytes(manifest.read_bytes() + b" " * CAP)

    assert_refused_in_one_line(capped, bundle, f"{manifest}: ", "bytes, more than 1,048,576")


def sparse_tar(folder: Path, tar_path: Path, member: str, size: int) -> Path:
    """A .tar of a bundle folder plus a GNU sparse member: `size` bytes of zeros, stored as none."""
    with tarfile.open(tar_path, "w", format=tarfile.PAX_FORMAT) as tar:
        for entry in sorted(folder.iterdir()):
            tar.add(entry, arcname=entry.name)
        info = tarfile.TarInfo(member)
        info.pax_headers = {
            "GNU.sparse.map": "0,0",
            "GNU.sparse.size": str(size),
            "GNU.sparse.name": member,
        }
        tar.addfile(info, io.BytesIO(b""))
    return tar_path


def test_sparse_tar_member_is_refused(capped, tmp_path):
    bundle = small_bundle(tmp_path / "bundle")
    size = 8 * MIB
    zeros = hashlib.sha256(b"\x00" * size).hexdigest()
    entry = {"path": "zeros.json", "sha256": zeros, "size": size}
    edit_manifest(bundle, lambda manifest: manifest.update(dump=entry))
    tar = sparse_tar(bundle, tmp_path / "bundle.tar", "zeros.json", size)
    assert tar.stat().st_size < 100_000

    assert_refused_in_one_line(capped, tar, f"{tar}: zeros.json: a sparse tar member: refused.")


def tar_with_a_bare_header(folder: Path, tar_path: Path, member: str, size: int) -> Path:
    """A .tar of a bundle folder plus a header claiming `size` bytes, followed by none of them."""
    with tarfile.open(tar_path, "w") as tar:
        for entry in sorted(folder.iterdir()):
            tar.add(entry, arcname=entry.name)
        info = tarfile.TarInfo(member)
        info.size = size
        header = info.tobuf(tar.format, tar.encoding, tar.errors)
        tar.fileobj.write(header)
        tar.offset += len(header)
    return tar_path


def test_tar_member_claiming_more_bytes_than_the_tar_holds_is_refused(capped, tmp_path):
    bundle = small_bundle(tmp_path / "bundle")
    size = 2 * 1024 * MIB
    entry = {"path": "huge.json", "sha256": "0" * 64, "size": size}
    edit_manifest(bundle, lambda manifest: manifest.update(dump=entry))
    tar = tar_with_a_bare_header(bundle, tmp_path / "bundle.tar", "huge.json", size)
    assert tar.stat().st_size < 100_000

    assert_refused_in_one_line(
        capped, tar, f"{tar}: not a readable bundle (unexpected end of data)."
    )


def test_compressed_tar_bundle_is_refused(capped, tmp_path):
    tar = tar_bundle(small_bundle(tmp_path / "bundle"), tmp_path / "bundle.tar")
    compressed = tmp_path / "bundle.tar.gz"
    compressed.write_bytes(gzip.compress(tar.read_bytes()))

    assert_refused_in_one_line(capped, compressed, f"{compressed}: a compressed tar: refused")


# Far below the 2 GB a gzip of 1 GiB of spaces took to import before reading was bounded.
ADDRESS_SPACE = 1024 * MIB
RUN_UNDER_LIMIT = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from flask.cli import main
sys.argv = ["flask", "mirror", "import", {path!r}]
main()
"""


@pytest.mark.e2e
@pytest.mark.slow
def test_gzip_of_a_gibibyte_is_refused_within_a_bounded_address_space(tmp_path):
    path = tmp_path / "spaces.json.gz"
    path.write_bytes(repeated_gzip(b" ", 1024))
    assert path.stat().st_size < 2 * MIB
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'mirror.db'}",
        "MIRROR_ARCHIVE_DIR": str(tmp_path / "archives"),
        "FLASK_APP": "app",
    }
    script = RUN_UNDER_LIMIT.format(limit=ADDRESS_SPACE, path=str(path))

    result = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT, env=env, capture_output=True, text=True
    )

    assert result.returncode == 1, result.stderr
    assert "MemoryError" not in result.stderr
    assert f"{path}: expands more than 200 times" in result.stderr


def test_repair_reads_its_bundle_within_the_configured_cap(capped, tmp_path):
    bundle = small_bundle(tmp_path / "bundle")
    replace_dump(bundle, b" " * (CAP + 1), name="dump.json")
    before = mirror_state(capped)

    result = capped.test_cli_runner().invoke(args=["mirror", "verify", "--repair", str(bundle)])

    assert result.exit_code == 1, result.output
    assert "Repair refused; the mirror is unchanged:" in result.output
    assert f"{bundle}/dump.json: {CAP + 1:,} bytes, more than {CAP:,}" in result.output
    assert mirror_state(capped) == before
