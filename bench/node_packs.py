"""Generated node packs of realistic size for the scanner's benchmark: node modules of classes
with literal attributes and long methods, helper modules, and an __init__.py registering the
node modules' mappings in one of the shapes packs use. Every pack's node count is known."""

import random
from dataclasses import dataclass
from pathlib import Path

from tests.packs import write_tar_gz, write_zip

# Files per pack and bytes per file, both spread log-uniformly between these bounds.
FILES = (5, 50)
FILE_BYTES = (20_000, 300_000)
# The share of a pack's files that are node modules (the rest are helpers).
NODE_MODULE_SHARE = 0.5
# One pack in this many is a tar.gz (bundles may hold either kind).
TAR_GZ_EVERY = 5

NODE_CLASS = '''
class {name}:
    """{title}: applies {word} to its input, {word} after {word}."""

    CATEGORY = "{pack}/{group}"
    FUNCTION = "run"
    RETURN_TYPES = ("IMAGE", "MASK", "INT")
    RETURN_NAMES = ("image", "mask", "count")
    OUTPUT_IS_LIST = (False, False, {flag})

    @classmethod
    def INPUT_TYPES(cls):
        return {{
            "required": {{
                "image": ("IMAGE",),
                "strength": ("FLOAT", {{"default": 1.0, "min": 0.0, "max": 10.0, "step": 0.01}}),
                "mode": (["{word}", "blend", "replace"], {{"default": "blend"}}),
            }},
            "optional": {{"mask": ("MASK",)}},
        }}
'''
METHOD = """
    def {method}(self, image, strength, mode="blend", mask=None):
        # {comment}
        {variable} = {number}
        result, count = image, 0
        for index in range({loops}):
            if mode == "{word}" and index % 2 == 0:
                result = result * strength + index * 0.5
            elif mask is not None:
                result = result - (mask * strength) / (index + 1)
            else:
                result = max(result, strength ** 2) if index > 3 else result
            count += 1
        values = [step * strength for step in range(count) if step % 3 != 0]
        lookup = {{"{key}": values[:1], "rest": values[1:], "total": sum(values) * {variable}}}
        return (result, mask, len(lookup["rest"]) + count)
"""
HELPER = '''
def {name}(values, factor=1.0, limit={loops}):
    """Scales and clamps {word} values: {comment}."""
    scaled, {variable} = [], {number}
    for position, value in enumerate(values):
        if position >= limit:
            break
        scaled.append(min(value * factor + {variable}, limit) if value > 0 else 0)
    return {{"values": scaled, "count": len(scaled), "label": "{word}-{loops}"}}
'''
SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "xe", "zu", "pra", "qui", "dor", "fen"]
WORDS = ["blur", "sharpen", "glow", "noise", "tone", "grain", "depth", "edge", "warp", "fade"]


@dataclass
class GeneratedPack:
    """A generated archive: where it is, its sizes, and how many node classes it registers."""

    path: Path
    archive_bytes: int
    python_bytes: int
    node_classes: int


def pseudo_word(rng: random.Random) -> str:
    """A made-up identifier, so generated code compresses about as well as real code."""
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))


def filler(rng: random.Random) -> dict:
    """Random names, numbers and a comment for one template."""
    return {
        "variable": pseudo_word(rng),
        "key": pseudo_word(rng),
        "number": round(rng.uniform(0, 1000), rng.randint(0, 4)),
        "comment": " ".join(pseudo_word(rng) for _ in range(rng.randint(4, 12))),
    }


def log_uniform(rng: random.Random, low: int, high: int) -> int:
    """A number between low and high, small ones as likely per decade as large ones."""
    return int(low * (high / low) ** rng.random())


def node_module(rng: random.Random, pack: str, module: int, size: int) -> tuple[str, list[str]]:
    """A module of node classes about `size` bytes long, ending with its mappings."""
    parts, classes = [f'"""Nodes of {pack}, part {module}."""\n\nimport math\n'], []
    length = len(parts[0])
    while length < size:
        name, word = f"{pack.title()}Node{module}x{len(classes)}", rng.choice(WORDS)
        text = NODE_CLASS.format(
            name=name,
            title=name,
            word=word,
            pack=pack,
            group=rng.choice(WORDS),
            flag=rng.random() < 0.2,
        )
        for method in range(rng.randint(2, 6)):
            text += METHOD.format(
                method=f"run{'' if method == 0 else method}",
                word=word,
                loops=rng.randint(2, 9),
                **filler(rng),
            )
        parts.append(text)
        classes.append(name)
        length += len(text)
    entries = "".join(f'    "{name}": {name},\n' for name in classes)
    titles = "".join(f'    "{name}": "{name} ({pack})",\n' for name in classes)
    parts.append(f"\nNODE_CLASS_MAPPINGS = {{\n{entries}}}\n")
    parts.append(f"NODE_DISPLAY_NAME_MAPPINGS = {{\n{titles}}}\n")
    return "".join(parts), classes


def helper_module(rng: random.Random, size: int) -> str:
    """A module of helper functions about `size` bytes long."""
    parts, length = ['"""Helpers."""\n'], 0
    while length < size:
        text = HELPER.format(
            name=f"helper_{len(parts)}",
            word=rng.choice(WORDS),
            loops=rng.randint(3, 99),
            **filler(rng),
        )
        parts.append(text)
        length += len(text)
    return "".join(parts)


def registration(modules: list[str], shape: int) -> str:
    """The pack's __init__.py: the node modules' mappings merged in one of three shapes."""
    imports = "".join(f"from . import {module}\n" for module in modules)
    if shape == 0:
        merged = ", ".join(f"**{module}.NODE_CLASS_MAPPINGS" for module in modules)
        names = ", ".join(f"**{module}.NODE_DISPLAY_NAME_MAPPINGS" for module in modules)
        return (
            f"{imports}\nNODE_CLASS_MAPPINGS = {{{merged}}}\n"
            f"NODE_DISPLAY_NAME_MAPPINGS = {{{names}}}\n"
        )
    if shape == 1:
        return (
            f"{imports}\nNODE_CLASS_MAPPINGS = {{}}\nNODE_DISPLAY_NAME_MAPPINGS = {{}}\n"
            f"for module in [{', '.join(modules)}]:\n"
            "    NODE_CLASS_MAPPINGS.update(module.NODE_CLASS_MAPPINGS)\n"
            "    NODE_DISPLAY_NAME_MAPPINGS.update(module.NODE_DISPLAY_NAME_MAPPINGS)\n"
        )
    stars = "".join(f"from .{module} import *\n" for module in modules)
    return (
        stars
        + "\n".join(
            f"from .{module} import NODE_CLASS_MAPPINGS as mappings_{i}"
            for i, module in enumerate(modules)
        )
        + "\nNODE_CLASS_MAPPINGS = {}\n"
        + "".join(f"NODE_CLASS_MAPPINGS.update(mappings_{i})\n" for i in range(len(modules)))
    )


def generate_pack(folder: Path, index: int, seed: int, scale: float = 1.0) -> GeneratedPack:
    """Write pack number `index` (the same for the same seed) into `folder`."""
    rng = random.Random(seed * 1_000_003 + index)
    pack = f"pack{index}"
    count = max(2, log_uniform(rng, *FILES))
    node_modules = max(1, int(count * NODE_MODULE_SHARE))
    files, classes = {}, 0
    for module in range(count):
        size = int(log_uniform(rng, *FILE_BYTES) * scale)
        if module < node_modules:
            files[f"nodes_{module}.py"], found = node_module(rng, pack, module, size)
            classes += len(found)
        else:
            files[f"utils/helpers_{module}.py"] = helper_module(rng, size)
    files["utils/__init__.py"] = ""
    files["__init__.py"] = registration([f"nodes_{m}" for m in range(node_modules)], index % 3)
    encoded = {name: text.encode() for name, text in files.items()}
    if index % TAR_GZ_EVERY == 0:
        path = write_tar_gz(folder / f"{pack}.tar.gz", encoded, top=f"ComfyUI-{pack}/")
    else:
        path = write_zip(folder / f"{pack}.zip", encoded)
    total = sum(map(len, encoded.values()))
    return GeneratedPack(path, path.stat().st_size, total, classes)
