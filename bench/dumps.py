"""Generated registry dumps of any size, shaped like upstream's data, for benchmark mirrors."""

import gzip
import os
import random
import uuid
from datetime import UTC, datetime, timedelta

import orjson

from models.statuses import NodeVersionStatus
from services.dumps.writer import dump_document
from services.timestamps import rfc3339

# Nodes per publisher: upstream publishers own a handful of packs each.
NODES_PER_PUBLISHER = 10
# Statuses by weight: mostly active, every status present.
VERSION_STATUSES = (
    (NodeVersionStatus.ACTIVE, 80),
    (NodeVersionStatus.DELETED, 8),
    (NodeVersionStatus.PENDING, 5),
    (NodeVersionStatus.FLAGGED, 4),
    (NodeVersionStatus.BANNED, 3),
)
_STATUS_VALUES = [status.value for status, _ in VERSION_STATUSES]
_STATUS_WEIGHTS = [weight for _, weight in VERSION_STATUSES]
_STATUS_REASONS = {
    NodeVersionStatus.BANNED.value: "Banned: the archive downloads and runs an unsigned binary "
    "at import time (see the security advisory linked from the node's page).",
    NodeVersionStatus.FLAGGED.value: "Flagged by the automated scan: suspicious use of "
    "subprocess and eval in __init__.py; a reviewer will look at it.",
}
_CHANGES = (
    "fix: widget values not restored on reload",
    "feat: new BatchCount node",
    "Fix model download path on Windows.",
    "Add support for fp8 weights.",
    "perf: cache the tokenizer between runs",
    "chore: bump torch requirement",
    "fix: crash when the mask is empty",
    "feat: expose the seed as an input",
    "docs: explain the tiling options in the README",
    "fix: wrong device when running on MPS",
    "feat: support the new frontend's node badges",
    "refactor: split the sampler into smaller nodes",
    "fix: memory leak in the preview node",
    "Add translations for zh and ja.",
    "Drop Python 3.8 support.",
)
_DEPENDENCIES = (
    "numpy>=1.24",
    "opencv-python-headless",
    "pillow>=10.0",
    "scipy",
    "transformers>=4.38",
    "safetensors",
    "einops",
    "piexif",
    "dill",
    "onnxruntime-gpu; sys_platform != 'darwin'",
    "huggingface_hub",
    "timm==0.9.16",
)
_OPERATING_SYSTEMS = ("Windows", "Linux", "macOS")
_ACCELERATORS = ("CUDA", "ROCm", "DirectML", "Metal", "CPU")
_TAGS = ("image", "video", "upscale", "mask", "sampler", "lora", "audio", "3d", "utils")
_EPOCH = datetime(2024, 5, 1, tzinfo=UTC)
_EXPORTED = "2026-11-28T06:00:00.000000Z"


def id_width(node_count: int) -> int:
    """Digits in generated node ids, so ids sort in index order at any mirror size."""
    return max(5, len(str(max(node_count - 1, 0))))


def node_id(index: int, width: int) -> str:
    """The id of generated node number `index`, e.g. "comfyui-pack-00042"."""
    return f"comfyui-pack-{index:0{width}d}"


def version_string(index: int) -> str:
    """The version string of a node's version number `index`, e.g. "1.7.0"."""
    return f"1.{index}.0"


def publisher_id(node_index: int) -> str:
    """The publisher that owns generated node number `node_index`."""
    return f"publisher-{node_index // NODES_PER_PUBLISHER:05d}"


def generate_publisher(publisher: str) -> dict:
    """A full publisher object as a dump carries it."""
    rng = random.Random(publisher)
    return {
        "id": publisher,
        "name": publisher.replace("-", " ").title(),
        "description": "Maintainer of a few custom-node packs.",
        "website": f"https://github.com/{publisher}",
        "support": f"https://github.com/{publisher}/issues",
        "source_code_repo": f"https://github.com/{publisher}",
        "logo": f"https://avatars.githubusercontent.com/u/{rng.randrange(10**7, 10**8)}?v=4",
        "createdAt": rfc3339(_EPOCH + timedelta(seconds=rng.randrange(10**7))),
        "status": "PublisherStatusActive",
    }


def generate_version(rng: random.Random, node: str, publisher: str, index: int, born) -> dict:
    """One version of a generated node: every always-sent field and most optional ones."""
    number = version_string(index)
    status = rng.choices(_STATUS_VALUES, _STATUS_WEIGHTS)[0]
    changes = rng.sample(_CHANGES, rng.randint(1, 6))
    version = {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "node_id": node,
        "version": number,
        "changelog": "\n".join(f"* {change}" for change in changes),
        "createdAt": rfc3339(born + timedelta(days=9 * index, seconds=rng.randrange(86400))),
        "dependencies": sorted(rng.sample(_DEPENDENCIES, rng.randint(0, 5))),
        "deprecated": rng.random() < 0.03,
        "downloadUrl": f"https://storage.googleapis.com/comfy-registry/{publisher}/{node}/"
        f"{number}/node.zip",
        "status": status,
        "status_reason": _STATUS_REASONS.get(status, ""),
        "comfy_node_extract_status": "success" if rng.random() < 0.9 else "failed",
        "supported_os": sorted(rng.sample(_OPERATING_SYSTEMS, rng.randint(1, 3))),
        "supported_accelerators": sorted(rng.sample(_ACCELERATORS, rng.randint(1, 3))),
    }
    if rng.random() < 0.6:
        version["supported_comfyui_version"] = f">=0.3.{rng.randint(0, 40)}"
    if rng.random() < 0.3:
        version["supported_comfyui_frontend_version"] = f">=1.{rng.randint(2, 20)}.0"
    if rng.random() < 0.5:
        version["tags"] = sorted(rng.sample(_TAGS, rng.randint(1, 3)))
    return version


def generate_node(index: int, versions_per_node: int, width: int) -> dict:
    """Generated node number `index` with its versions; the same index always gives the same."""
    rng = random.Random(index)
    node = node_id(index, width)
    publisher = publisher_id(index)
    born = _EPOCH + timedelta(seconds=rng.randrange(10**7))
    return {
        "id": node,
        "name": f"ComfyUI Pack {index}",
        "description": f"Nodes for generated pack {index}: samplers, masks and upscalers.",
        "author": publisher,
        "license": '{"file": "LICENSE"}',
        "repository": f"https://github.com/{publisher}/{node}",
        "tags": sorted(rng.sample(_TAGS, 2)),
        "downloads": rng.randrange(10**6),
        "github_stars": rng.randrange(5000),
        "rating": round(rng.uniform(1, 5), 1),
        "status": "NodeStatusActive",
        "publisher": {"id": publisher},
        "created_at": rfc3339(born),
        "versions": [
            generate_version(rng, node, publisher, number, born)
            for number in range(versions_per_node)
        ],
    }


def write_dump(path: str, first: int, stop: int, versions_per_node: int, width: int) -> str:
    """Write nodes [first, stop) and their publishers as one gzip dump file; returns its path."""
    publishers = sorted({publisher_id(index) for index in range(first, stop)})
    document = dump_document(
        [generate_publisher(publisher) for publisher in publishers],
        [generate_node(index, versions_per_node, width) for index in range(first, stop)],
        source="bench.dumps",
        exported_at=_EXPORTED,
    )
    return _write_gzip(path, document)


def _write_gzip(path: str, document: dict) -> str:
    """Write `document` as a gzip dump file; returns its path."""
    # Level 1: the dump is written once and read once; speed matters more than size here.
    with open(path, "wb") as handle:
        handle.write(gzip.compress(orjson.dumps(document), compresslevel=1))
    return path


def write_dumps(
    directory: str, nodes: int, versions_per_node: int, nodes_per_file: int
) -> list[str]:
    """Write a mirror of `nodes` nodes as dump files of `nodes_per_file` nodes each."""
    os.makedirs(directory, exist_ok=True)
    width = id_width(nodes)
    return [
        write_dump(
            os.path.join(directory, f"dump-{first // nodes_per_file:04d}.json.gz"),
            first,
            min(first + nodes_per_file, nodes),
            versions_per_node,
            width,
        )
        for first in range(0, nodes, nodes_per_file)
    ]


# The web pages' mirror: publishers owning a hundred packs each, one pack in ten about video
# (a term a tenth of the packs hold), short versions; ids such as "pack-00042".
WEB_PUBLISHERS = 50
WEB_TERM = "video"


def web_pack(index: int, versions_per_node: int) -> dict:
    """Pack number `index` of the web pages' mirror, with its versions."""
    return {
        "id": f"pack-{index:05d}",
        "name": f"Pack {index}",
        "description": f"Nodes for {WEB_TERM if index % 10 == 0 else 'images'}, {index}.",
        "downloads": index * 7 % 1000,
        "publisher": {"id": f"publisher-{index % WEB_PUBLISHERS}"},
        "versions": [
            {"version": version_string(minor), "changelog": f"Release {minor}."}
            for minor in range(versions_per_node)
        ],
    }


def write_web_dumps(directory: str, packs: int, versions_per_node: int, per_file: int) -> list:
    """Write the web pages' mirror of `packs` packs as dump files of `per_file` packs each."""
    os.makedirs(directory, exist_ok=True)
    publishers = [
        {"id": f"publisher-{index}", "name": f"Publisher {index}"}
        for index in range(WEB_PUBLISHERS)
    ]
    paths = []
    for first in range(0, packs, per_file):
        stop = min(first + per_file, packs)
        nodes = [web_pack(index, versions_per_node) for index in range(first, stop)]
        document = dump_document(publishers, nodes, source="bench.dumps", exported_at=_EXPORTED)
        paths.append(_write_gzip(os.path.join(directory, f"web-{first:06d}.json.gz"), document))
    return paths
