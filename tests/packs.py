"""Node packs written for the scanner's tests: small zip and tar.gz archives of given files,
and hostile ones (links, devices, absurd names), all built in a test's tmp_path."""

import io
import tarfile
import textwrap
import zipfile
from collections.abc import Mapping
from pathlib import Path

from services.node_classes import ScannedPack, scan_archive


def source(text: str | bytes) -> bytes:
    """A file's bytes: text dedented and encoded as UTF-8, bytes as they are."""
    return text if isinstance(text, bytes) else textwrap.dedent(text).lstrip("\n").encode()


def write_zip(path: Path, files: Mapping[str, str | bytes], top: str = "") -> Path:
    """A deflated zip of `files` (name -> source), under the folder `top` if given."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(top + name, source(text))
    return path


def write_tar_gz(path: Path, files: Mapping[str, str | bytes], top: str = "", extra=()) -> Path:
    """A tar.gz of `files` under the folder `top` if given, then `extra` (TarInfo, bytes) pairs."""
    with tarfile.open(path, "w:gz") as archive:
        for name, text in files.items():
            data = source(text)
            member = tarfile.TarInfo(top + name)
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
        for member, data in extra:
            archive.addfile(member, io.BytesIO(data) if data else None)
    return path


def tar_link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tuple:
    """A link (or, with another kind, a device or fifo) member for write_tar_gz's `extra`."""
    member = tarfile.TarInfo(name)
    member.type = kind
    member.linkname = target
    return member, None


def scan_files(
    tmp_path: Path, files: Mapping[str, str | bytes], kind: str = "zip", **limits
) -> ScannedPack:
    """Write `files` as an archive of that kind and scan it (with these ScanLimits, if any)."""
    from services.node_classes import ScanLimits

    path = tmp_path / f"pack.{kind}"
    (write_zip if kind == "zip" else write_tar_gz)(path, files)
    return scan_archive(path, ScanLimits(**limits))


def names(pack: ScannedPack) -> list[str]:
    """The node class names the scan found, in its order."""
    return [node["comfy_node_name"] for node in pack.comfy_nodes]


# A module of two node classes with every literal attribute, and the nodes it registers.
BLUR = """
class Blur:
    CATEGORY = "image/filters"
    FUNCTION = "blur"
    RETURN_TYPES = ("IMAGE", "MASK")
    RETURN_NAMES = ("image", "mask")
    OUTPUT_IS_LIST = (False, True)
    DESCRIPTION = "Blurs an image."
    DEPRECATED = True
    EXPERIMENTAL = False

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"image": ("IMAGE",)}}

    def blur(self, image):
        return (image, None)


class Sharpen:
    CATEGORY = "image/filters"
    FUNCTION = "sharpen"
    RETURN_TYPES = ("IMAGE",)
"""
BLUR_NODE = {
    "comfy_node_name": "Blur Image",
    "category": "image/filters",
    "function": "blur",
    "return_types": '["IMAGE", "MASK"]',
    "return_names": '["image", "mask"]',
    "output_is_list": [False, True],
    "description": "Blurs an image.",
    "deprecated": True,
    "experimental": False,
    "display_name": "Blur (soft)",
}
SHARPEN_NODE = {
    "comfy_node_name": "Sharpen",
    "category": "image/filters",
    "function": "sharpen",
    "return_types": '["IMAGE"]',
}

# A pack registering BLUR's two classes from a submodule, as most packs do.
FILTERS_PACK = {
    "__init__.py": "from .nodes import NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS\n",
    "nodes.py": BLUR
    + """
NODE_CLASS_MAPPINGS = {"Sharpen": Sharpen, "Blur Image": Blur}
NODE_DISPLAY_NAME_MAPPINGS = {"Blur Image": "Blur (soft)"}
""",
}
# What the mirror serves of BLUR's classes (upstream's ComfyNode has no display name).
SERVED_FILTERS = [
    {key: value for key, value in BLUR_NODE.items() if key != "display_name"},
    SHARPEN_NODE,
]
# Why a tar.gz that expands past the scanner's ratio is not indexed.
BOMB_PROBLEM = "not indexed: it decompresses more than 100:1"


def pack_bytes(tmp_path: Path, files: Mapping[str, str | bytes], name: str = "pack.zip") -> bytes:
    """The bytes of a zip of `files`, written in tmp_path."""
    return write_zip(tmp_path / name, files).read_bytes()


def bomb_bytes(tmp_path: Path) -> bytes:
    """A tar.gz pack whose 64 MiB of zeros expand far past the scanner's ratio."""
    padding = tarfile.TarInfo("weights.bin")
    padding.size = 64 * 1024 * 1024
    extra = [(padding, bytes(padding.size))]
    return write_tar_gz(tmp_path / "bomb.tar.gz", FILTERS_PACK, extra=extra).read_bytes()
