"""Rebuild the sample bundle's archives and manifest from sample-registry.json.

Run from the repository root after editing the sample dump:
    .venv/bin/python seed_data/make_bundle.py
Each archive is a small, real custom-node pack (pyproject.toml with [project] name and version,
as ComfyUI-Manager expects, and an __init__.py ComfyUI can load). Deleted and banned versions get
no archive, to show that such versions are still mirrored as metadata only. Output is
deterministic, so an unchanged dump rebuilds byte-identical files.
"""

import hashlib
import json
import shutil
import zipfile
from io import BytesIO
from pathlib import Path

HERE = Path(__file__).resolve().parent
DUMP = "sample-registry.json"
NO_ARCHIVE = {"NodeVersionStatusDeleted", "NodeVersionStatusBanned"}
FIXED_TIME = (2024, 1, 1, 0, 0, 0)

INIT_PY = '''"""{name}: a sample custom-node pack served by Comfy Registry Mirror."""

from .nodes import NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS"]
'''

NODES_PY = '''"""One pass-through node, so ComfyUI has something to load."""


class {cls}:
    """Returns its input image unchanged."""

    CATEGORY = "sample/{node_id}"
    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "run"

    @classmethod
    def INPUT_TYPES(cls):
        return {{"required": {{"image": ("IMAGE",)}}}}

    def run(self, image):
        return (image,)


NODE_CLASS_MAPPINGS = {{"{cls}": {cls}}}
NODE_DISPLAY_NAME_MAPPINGS = {{"{cls}": "{name} (sample)"}}
'''

PYPROJECT = """[project]
name = "{project}"
version = "{version}"
description = "{description}"
license = {{ file = "LICENSE" }}
dependencies = {dependencies}

[tool.comfy]
PublisherId = "{publisher}"
DisplayName = "{name}"
"""


def archive_bytes(node: dict, version: dict) -> bytes:
    """A deterministic zip of a tiny custom-node pack for one version."""
    words = node["id"].replace(".", "-").replace("_", "-").split("-")
    cls = "".join(word.capitalize() for word in words)
    files = {
        "pyproject.toml": PYPROJECT.format(
            project=node["id"].lower(),
            version=version["version"],
            description=json.dumps(node.get("description", ""))[1:-1],
            dependencies=json.dumps(version.get("dependencies", [])),
            publisher=(node.get("publisher") or {}).get("id", ""),
            name=node.get("name", node["id"]),
        ),
        "__init__.py": INIT_PY.format(name=node.get("name", node["id"])),
        "nodes.py": NODES_PY.format(cls=cls, node_id=node["id"], name=node.get("name", node["id"])),
        "LICENSE": "Sample content for Comfy Registry Mirror; no rights reserved.\n",
    }
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, text)
    return buffer.getvalue()


def main() -> None:
    """Write archives/ and manifest.json beside the sample dump."""
    dump_path = HERE / DUMP
    document = json.loads(dump_path.read_text())
    shutil.rmtree(HERE / "archives", ignore_errors=True)
    entries = []
    for node in document["nodes"]:
        for version in node["versions"]:
            if version.get("status") in NO_ARCHIVE:
                continue
            raw = archive_bytes(node, version)
            relative = f"archives/{node['id']}/{version['version']}.zip"
            (HERE / relative).parent.mkdir(parents=True, exist_ok=True)
            (HERE / relative).write_bytes(raw)
            entries.append(
                {
                    "node_id": node["id"],
                    "version": version["version"],
                    "path": relative,
                    "sha256": hashlib.sha256(raw).hexdigest(),
                    "size": len(raw),
                }
            )
    dump_raw = dump_path.read_bytes()
    manifest = {
        "format": "comfy-registry-bundle",
        "format_version": 1,
        "created_at": document.get("exported_at"),
        "source": document.get("source"),
        "dump": {
            "path": DUMP,
            "sha256": hashlib.sha256(dump_raw).hexdigest(),
            "size": len(dump_raw),
        },
        "archives": entries,
    }
    (HERE / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"wrote {len(entries)} archives and manifest.json")


if __name__ == "__main__":
    main()
