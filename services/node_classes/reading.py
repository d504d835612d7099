"""Which kind of archive a file is, by its first bytes, and its .py members read within bounds."""

from pathlib import Path

from services.dumps.reader import GZIP_MAGIC
from services.node_classes.limits import Deadline, NotIndexed, ScanLimits
from services.node_classes.members import PackFiles
from services.node_classes.tar_members import read_tar_gz
from services.node_classes.zip_members import read_zip

# A zip with members, or an empty one (its end record alone).
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


def archive_kind(path: Path) -> str:
    """'zip' or 'tar.gz' from the archive's first bytes; NotIndexed for anything else."""
    with open(path, "rb") as handle:
        start = handle.read(4)
    if start.startswith(ZIP_MAGIC):
        return "zip"
    if start.startswith(GZIP_MAGIC):
        return "tar.gz"
    raise NotIndexed("not a zip or tar.gz archive")


def read_pack_files(path: Path, limits: ScanLimits, deadline: Deadline) -> PackFiles:
    """Every readable .py member of the archive at `path`; NotIndexed if it cannot be read."""
    reader = read_zip if archive_kind(path) == "zip" else read_tar_gz
    pack = PackFiles()
    reader(path, pack, limits, deadline)
    if not pack.sources:
        raise NotIndexed("it holds no readable .py file")
    return pack
