"""Building and writing seed dumps for tests, in the documented dump format."""

import gzip
import json
from pathlib import Path

from tests.mirrors import import_into, run_import


def version(number: str, **fields) -> dict:
    """A NodeVersion as a dump carries it; any upstream field may be given."""
    return {"version": number, **fields}


def node(node_id: str, *versions: dict, **fields) -> dict:
    """A Node as a dump carries it, with its versions."""
    return {"id": node_id, **fields, "versions": list(versions)}


def comfy_node(name: str, **fields) -> dict:
    """A ComfyNode as upstream lists it for a version (and a dump carries it)."""
    return {"comfy_node_name": name, **fields}


def dump(*nodes: dict, publishers: list | None = None, **top) -> dict:
    """A whole dump document."""
    document = {"format": "comfy-registry-dump", "format_version": 1, "nodes": list(nodes)}
    if publishers is not None:
        document["publishers"] = publishers
    document.update(top)
    return document


def write(path: Path, document: dict, compress: bool = False) -> Path:
    """Write a dump, gzip-compressed when asked (whatever the file's suffix)."""
    raw = json.dumps(document).encode()
    path.write_bytes(gzip.compress(raw) if compress else raw)
    return path


def import_dump(runner, tmp_path: Path, document: dict, *options: str, name: str = "dump.json"):
    """Write `document` to tmp_path/name and import it (run_import); the click result."""
    return run_import(runner, write(tmp_path / name, document), options=options)


def imported(runner, tmp_path: Path, document: dict, *options: str, name: str = "dump.json") -> str:
    """Write `document` to tmp_path/name and import it (import_into, requiring success); output."""
    return import_into(runner, write(tmp_path / name, document), options=options)


# A catalogue for the read API's tests (GET /nodes, /versions, /publishers and friends).
FILLER_NODES = 100
CATALOGUE_PUBLISHER = {
    "id": "pub-one",
    "name": "Publisher One",
    "description": "Makes sampler packs.",
    "website": "https://example.com/pub-one",
    "support": "https://example.com/pub-one/issues",
    "source_code_repo": "https://github.com/pub-one",
    "logo": "https://example.com/pub-one.png",
    "createdAt": "2024-01-02T03:04:05.000006Z",
    "status": "PublisherStatusActive",
    "members": [
        {"id": "m-1", "role": "owner", "user": {"id": "u-1", "name": "Ann", "email": "a@x.org"}}
    ],
}


# The node classes upstream lists for Pack-One 1.10.0 in the catalogue.
CATALOGUE_COMFY_NODES = [
    comfy_node(
        "KSamplerPlus",
        category="sampling",
        deprecated=False,
        experimental=False,
        function="sample",
        input_types='{"required": {"seed": ["INT"]}}',
        output_is_list=[False],
        policy="ComfyNodePolicyActive",
        return_names='["LATENT"]',
        return_types='["LATENT"]',
    ),
    comfy_node("KSampler Plus (Tiled)"),
]


def catalogue_dump() -> dict:
    """Four telling nodes plus FILLER_NODES plain ones, from two publishers.

    Pack-One (published in mixed case) has Active 1.9.0 and 1.10.0 (latest by precedence, with
    two ComfyUI node classes from upstream's index), a
    Banned 1.2.0, a Deleted 1.1.0, a Pending 2.0.0-beta.1 and a Flagged 3.0.0, some with a
    status_reason; pack-two is the search target; banned-pack is banned; no-latest has no
    Active version and no publisher; filler-000... have one Active version each.
    """
    pack_one = node(
        "Pack-One",
        version(
            "1.9.0",
            createdAt="2024-05-03T03:58:21.019461Z",
            dependencies=["numpy"],
            downloadUrl="https://storage.googleapis.com/comfy-registry/pub-one/Pack-One/1.9.0/node.zip",
        ),
        version(
            "1.10.0",
            changelog="Tenth minor.",
            status_reason="Reviewed by Alice",
            comfy_nodes=CATALOGUE_COMFY_NODES,
        ),
        version("1.2.0", status="NodeVersionStatusBanned", status_reason="Malware FOUND"),
        version("1.1.0", status="NodeVersionStatusDeleted", status_reason="Removed by author"),
        version("2.0.0-beta.1", status="NodeVersionStatusPending"),
        version("3.0.0", status="NodeVersionStatusFlagged", status_reason="Under review"),
        name="Pack One",
        description="Samplers and schedulers.",
        author="Ann Author",
        license="MIT",
        repository="https://github.com/ann/ComfyUI-Pack-One",
        icon="https://example.com/icon.png",
        tags=["sampling"],
        downloads=1200,
        github_stars=34,
        rating=4.5,
        status="NodeStatusActive",
        publisher={"id": "pub-one"},
        supported_os=["Windows", "Linux"],
        supported_accelerators=["CUDA"],
        translations={"zh": {"name": "Pack One in Chinese"}},
        preempted_comfy_node_names=["KSamplerPlus"],
        created_at="2024-04-01T00:00:00.000001Z",
    )
    pack_two = node(
        "pack-two",
        version("0.1.0"),
        name="Video Helper",
        description="Loads VIDEO files 100% faster.",
        author="Jane Roe",
        repository="https://github.com/jane/ComfyUI-VideoHelper",
        publisher={"id": "pub-two", "name": "Publisher Two"},
        supported_os=["Linux"],
        supported_accelerators=["ROCm"],
        preempted_comfy_node_names=["VHS_LoadVideo"],
    )
    banned = node(
        "banned-pack",
        version("1.0.0"),
        name="Banned Pack",
        description="Mines coins.",
        status="NodeStatusBanned",
        publisher={"id": "pub-two"},
    )
    no_latest = node("no-latest", version("0.0.1", status="NodeVersionStatusPending"))
    fillers = [
        node(f"filler-{index:03d}", version("1.0.0"), name=f"Filler {index}")
        for index in range(FILLER_NODES)
    ]
    return dump(pack_one, pack_two, banned, no_latest, *fillers, publishers=[CATALOGUE_PUBLISHER])


# Class names as the frontend puts them into paths, unencoded.
AWKWARD_NAMES = ["KSampler Plus (Advanced)", "Add+Mul|Div", "Image/Resize", "Load /node"]


def comfy_nodes_dump() -> dict:
    """Packs providing ComfyUI node classes, for the index's tests.

    "Shares": pack-a's latest provides it, pack-b's older 1.0.0 does, so pack-a ranks first
    despite fewer downloads. "Tie": the latest of pack-c and pack-d (equal downloads) provide it,
    so pack-c by id; banned-maker (banned, most downloads) provides it too and is never named.
    "Banned Version Only": only a banned version of pack-b provides it.
    """
    full = comfy_node(
        "KSampler Plus (Advanced)",
        category="sampling/advanced",
        description="Samples more.",
        deprecated=False,
        experimental=True,
        function="sample",
        input_types='{"required": {"seed": ["INT"]}}',
        output_is_list=[False, True],
        policy="ComfyNodePolicyActive",
        return_names='["LATENT", "INFO"]',
        return_types='["LATENT", "STRING"]',
    )
    pack_a = node(
        "pack-a",
        version(
            "1.0.0", comfy_nodes=[full, *map(comfy_node, AWKWARD_NAMES[1:]), comfy_node("Shares")]
        ),
        version("0.9.0", comfy_nodes=[comfy_node("Old Only")]),
        downloads=10,
        publisher={"id": "maker", "name": "Maker"},
    )
    pack_b = node(
        "pack-b",
        version("2.0.0", comfy_nodes=[comfy_node("Other")]),
        version("1.0.0", comfy_nodes=[comfy_node("shares")]),
        version(
            "0.1.0",
            status="NodeVersionStatusBanned",
            comfy_nodes=[comfy_node("Banned Version Only")],
        ),
        downloads=500,
        publisher={"id": "maker"},
    )
    pack_c = node("pack-c", version("1.0.0", comfy_nodes=[comfy_node("Tie")]), downloads=7)
    pack_d = node("pack-d", version("1.0.0", comfy_nodes=[comfy_node("Tie")]), downloads=7)
    banned = node(
        "banned-maker",
        version("1.0.0", comfy_nodes=[comfy_node("Tie"), comfy_node("Banned Pack Only")]),
        downloads=10**6,
        status="NodeStatusBanned",
        publisher={"id": "maker"},
    )
    plain = node("plain", version("1.0.0"))
    return dump(pack_a, pack_b, pack_c, pack_d, banned, plain)
