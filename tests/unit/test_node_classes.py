"""The scanner finds the node classes a pack registers, in every shape packs use, without running
the pack: each test's pack is written here, and the exact classes and fields are asserted."""

import dataclasses
import json

import pytest

from services.node_classes import ScannedPack, scan_archive
from tests.packs import names, scan_files, write_tar_gz, write_zip

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


def test_a_literal_mapping_gives_every_class_with_its_literal_attributes(tmp_path):
    pack = scan_files(
        tmp_path,
        {
            "__init__.py": BLUR
            + """
NODE_CLASS_MAPPINGS = {"Sharpen": Sharpen, "Blur Image": Blur}
NODE_DISPLAY_NAME_MAPPINGS = {"Blur Image": "Blur (soft)"}
"""
        },
    )

    assert pack == ScannedPack(comfy_nodes=(BLUR_NODE, SHARPEN_NODE))
    assert json.loads(pack.comfy_nodes[0]["return_types"]) == ["IMAGE", "MASK"]


def test_the_result_is_frozen_and_sorted_by_name(tmp_path):
    pack = scan_files(
        tmp_path,
        {"__init__.py": "class A: pass\nNODE_CLASS_MAPPINGS = {'b': A, 'a': A, 'C': A}\n"},
    )

    assert names(pack) == ["C", "a", "b"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        pack.problem = "changed"


@pytest.mark.parametrize(
    "registration",
    [
        "NODE_CLASS_MAPPINGS = {}\n"
        'NODE_CLASS_MAPPINGS["Blur Image"] = Blur\n'
        'NODE_CLASS_MAPPINGS["Sharpen"] = Sharpen\n',
        'NODE_CLASS_MAPPINGS = {"Sharpen": Sharpen}\n'
        'NODE_CLASS_MAPPINGS.update({"Blur Image": Blur})\n',
        "NODE_CLASS_MAPPINGS = dict(Sharpen=Sharpen)\n"
        'NODE_CLASS_MAPPINGS.update(dict({"Blur Image": Blur}))\n',
        'NODE_CLASS_MAPPINGS = {"Sharpen": Sharpen}\nNODE_CLASS_MAPPINGS |= {"Blur Image": Blur}\n',
        'FIRST = {"Sharpen": Sharpen}\nNODE_CLASS_MAPPINGS = FIRST | {"Blur Image": Blur}\n',
        "try:\n"
        "    import torch\n"
        '    NODE_CLASS_MAPPINGS = {"Sharpen": Sharpen}\n'
        "except ImportError:\n"
        "    NODE_CLASS_MAPPINGS = {}\n"
        "if True:\n"
        '    NODE_CLASS_MAPPINGS["Blur Image"] = Blur\n',
    ],
    ids=["subscript", "update", "dict-call", "in-place-or", "or", "try-and-if"],
)
def test_mappings_built_statement_by_statement(tmp_path, registration):
    display = 'NODE_DISPLAY_NAME_MAPPINGS = {"Blur Image": "Blur (soft)"}\n'
    pack = scan_files(tmp_path, {"__init__.py": BLUR + registration + display})

    assert pack.comfy_nodes == (BLUR_NODE, SHARPEN_NODE)


def test_mappings_merged_from_submodules(tmp_path):
    pack = scan_files(
        tmp_path,
        {
            "__init__.py": """
                from . import blur
                from .sharpen import nodes as sharpen_nodes
                NODE_CLASS_MAPPINGS = {**blur.NODE_CLASS_MAPPINGS, **sharpen_nodes.MAPPINGS}
                NODE_DISPLAY_NAME_MAPPINGS = {**blur.NODE_DISPLAY_NAME_MAPPINGS}
            """,
            "blur.py": BLUR
            + 'NODE_CLASS_MAPPINGS = {"Blur Image": Blur}\n'
            + 'NODE_DISPLAY_NAME_MAPPINGS = {"Blur Image": "Blur (soft)"}\n',
            "sharpen/__init__.py": "",
            "sharpen/nodes.py": 'from ..blur import Sharpen\nMAPPINGS = {"Sharpen": Sharpen}\n',
        },
    )

    assert pack.comfy_nodes == (BLUR_NODE, SHARPEN_NODE)


def test_a_loop_over_submodules_updating_the_mappings(tmp_path):
    pack = scan_files(
        tmp_path,
        {
            "__init__.py": """
                from .nodes import first, second
                NODE_CLASS_MAPPINGS = {}
                NODE_DISPLAY_NAME_MAPPINGS = {}
                for module in [first, second]:
                    NODE_CLASS_MAPPINGS.update(module.NODE_CLASS_MAPPINGS)
                    NODE_DISPLAY_NAME_MAPPINGS.update(module.NODE_DISPLAY_NAME_MAPPINGS)
            """,
            "nodes/__init__.py": "",
            "nodes/first.py": BLUR
            + 'NODE_CLASS_MAPPINGS = {"Blur Image": Blur}\n'
            + 'NODE_DISPLAY_NAME_MAPPINGS = {"Blur Image": "Blur (soft)"}\n',
            "nodes/second.py": "from .first import *\n"
            'NODE_CLASS_MAPPINGS = {"Sharpen": Sharpen}\nNODE_DISPLAY_NAME_MAPPINGS = {}\n',
        },
    )

    assert pack.comfy_nodes == (BLUR_NODE, SHARPEN_NODE)


def test_modules_imported_by_name_in_a_loop(tmp_path):
    pack = scan_files(
        tmp_path,
        {
            "__init__.py": """
                import importlib
                NODE_CLASS_MAPPINGS = {}
                for name in ["blur", "sharpen"]:
                    module = importlib.import_module(f".nodes_{name}", __name__)
                    NODE_CLASS_MAPPINGS.update(module.NODE_CLASS_MAPPINGS)
            """,
            "nodes_blur.py": BLUR + 'NODE_CLASS_MAPPINGS = {"Blur Image": Blur}\n',
            "nodes_sharpen.py": "from .nodes_blur import Sharpen\n"
            'NODE_CLASS_MAPPINGS = {"Sharpen": Sharpen}\n',
        },
    )

    assert names(pack) == ["Blur Image", "Sharpen"]
    assert pack.comfy_nodes[1] == SHARPEN_NODE


def test_the_mappings_imported_from_a_module_and_classes_by_star_import(tmp_path):
    pack = scan_files(
        tmp_path,
        {
            "__init__.py": "from .registry import NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS\n"
            "__all__ = ['NODE_CLASS_MAPPINGS', 'NODE_DISPLAY_NAME_MAPPINGS']\n",
            "registry.py": """
                from .filters.blur import *
                NODE_CLASS_MAPPINGS = {"Blur Image": Blur, "Sharpen": Sharpen}
                NODE_DISPLAY_NAME_MAPPINGS = {"Blur Image": "Blur (soft)"}
            """,
            "filters/__init__.py": "",
            "filters/blur.py": BLUR,
        },
    )

    assert pack.comfy_nodes == (BLUR_NODE, SHARPEN_NODE)


def test_absolute_imports_naming_the_packs_own_modules(tmp_path):
    pack = scan_files(
        tmp_path,
        {
            "__init__.py": """
                import sys, os
                sys.path.append(os.path.join(os.path.dirname(__file__), "lib"))
                import filters.blur
                from filters.blur import Sharpen as Sharp
                NODE_CLASS_MAPPINGS = {"Blur Image": filters.blur.Blur, "Sharpen": Sharp}
            """,
            "lib/filters/__init__.py": "",
            "lib/filters/blur.py": BLUR,
        },
    )

    without_display_name = {key: value for key, value in BLUR_NODE.items() if key != "display_name"}
    assert pack.comfy_nodes == (without_display_name, SHARPEN_NODE)


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
@pytest.mark.parametrize("top", ["", "ComfyUI-Filters/"])
def test_the_pack_root_is_the_archive_root_or_its_one_folder(tmp_path, kind, top):
    files = {
        "__init__.py": "from .nodes import NODE_CLASS_MAPPINGS\n",
        "nodes.py": BLUR + 'NODE_CLASS_MAPPINGS = {"Sharpen": Sharpen}\n',
    }
    path = tmp_path / f"pack.{kind}"
    (write_zip if kind == "zip" else write_tar_gz)(path, files, top=top)

    assert scan_archive(path).comfy_nodes == (SHARPEN_NODE,)


def test_attributes_inherited_from_the_packs_own_base_classes(tmp_path):
    pack = scan_files(
        tmp_path,
        {
            "__init__.py": """
                from .base import FilterBase
                class Emboss(FilterBase):
                    FUNCTION = "emboss"
                class Outline(Emboss, dict):
                    RETURN_TYPES = ("MASK",)
                NODE_CLASS_MAPPINGS = {"Emboss": Emboss, "Outline": Outline}
            """,
            "base.py": """
                CATEGORY_ROOT = "filters"
                class FilterBase:
                    CATEGORY = CATEGORY_ROOT + "/relief"
                    FUNCTION = "run"
                    RETURN_TYPES = ("IMAGE",)
            """,
        },
    )

    assert pack.comfy_nodes == (
        {
            "comfy_node_name": "Emboss",
            "category": "filters/relief",
            "function": "emboss",
            "return_types": '["IMAGE"]',
        },
        {
            "comfy_node_name": "Outline",
            "category": "filters/relief",
            "function": "emboss",
            "return_types": '["MASK"]',
        },
    )


def test_what_cannot_be_read_stays_out_and_outside_classes_keep_their_name(tmp_path):
    pack = scan_files(
        tmp_path,
        {
            "__init__.py": """
                import os
                from comfy_extras.nodes_mask import MaskComposite
                class Dynamic:
                    CATEGORY = os.environ.get("CATEGORY", "x")
                    FUNCTION = 42
                    RETURN_TYPES = tuple(["IMAGE"])
                    DEPRECATED = "yes"
                    DESCRIPTION = "Reads the room."
                NODE_CLASS_MAPPINGS = {"Dynamic": Dynamic, "Composite+": MaskComposite}
                NODE_DISPLAY_NAME_MAPPINGS = {"Dynamic": "Dynamic " + os.sep}
            """
        },
    )

    assert pack.comfy_nodes == (
        {"comfy_node_name": "Composite+"},
        {"comfy_node_name": "Dynamic", "description": "Reads the room."},
    )


def test_mappings_built_by_a_pack_function_from_a_config(tmp_path):
    pack = scan_files(
        tmp_path,
        {
            "__init__.py": BLUR
            + """
def suffixed(name):
    return "{} ({})".format(name, "fx")

class Glow(Sharpen):
    NAME = suffixed("Glow")

CONFIG = {
    "Blur Image": {"class": Blur, "name": "Blur (soft)"},
    "Sharpen": {"class": Sharpen},
}

def build(config):
    classes = {}
    titles = {}
    for key, entry in config.items():
        classes[key] = entry["class"]
        titles[key] = entry.get("name", entry["class"].__name__)
    return classes, titles

NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS = build(CONFIG)
NODE_CLASS_MAPPINGS[Glow.NAME] = Glow
"""
        },
    )

    assert names(pack) == ["Blur Image", "Glow (fx)", "Sharpen"]
    assert pack.comfy_nodes[0] == BLUR_NODE
    assert pack.comfy_nodes[2] == {**SHARPEN_NODE, "display_name": "Sharpen"}


EXTENSION_NODES = """
from comfy_api.latest import ComfyExtension, io


class Resize(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="ResizeImage+",
            display_name="Resize image",
            category="image/transform",
            description="Resizes to a size.",
            inputs=[io.Image.Input("image"), io.Int.Input("width", default=512)],
            outputs=[io.Image.Output(), io.Custom("SIZE").Output(is_output_list=True)],
            is_experimental=True,
        )

    @classmethod
    def execute(cls, image, width):
        return io.NodeOutput(image, (width,))


class Legacy(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        schema = io.Schema(node_id="LegacyThing", category="misc", is_deprecated=True,
                           outputs=[io.Tracks.Output()])
        return schema
"""


@pytest.mark.parametrize("asynchronous", ["async ", ""], ids=["async", "sync"])
def test_the_extension_entry_point_and_its_schemas(tmp_path, asynchronous):
    pack = scan_files(
        tmp_path,
        {
            "__init__.py": "from .extension import comfy_entrypoint\n",
            "extension.py": f"""
from typing_extensions import override
from comfy_api.latest import ComfyExtension
from .nodes import Resize, Legacy

class FiltersExtension(ComfyExtension):
    @override
    {asynchronous}def get_node_list(self):
        return [Resize, Legacy]

{asynchronous}def comfy_entrypoint() -> FiltersExtension:
    return FiltersExtension()
""",
            "nodes.py": EXTENSION_NODES,
        },
    )

    assert pack.comfy_nodes == (
        {
            "comfy_node_name": "LegacyThing",
            "category": "misc",
            "deprecated": True,
            "output_is_list": [False],
        },
        {
            "comfy_node_name": "ResizeImage+",
            "display_name": "Resize image",
            "category": "image/transform",
            "description": "Resizes to a size.",
            "output_is_list": [False, True],
            "return_types": '["IMAGE", "SIZE"]',
            "experimental": True,
        },
    )


def test_a_registration_built_at_run_time_falls_back_to_every_modules_mappings(tmp_path):
    pack = scan_files(
        tmp_path,
        {
            "__init__.py": """
                import glob, importlib, os
                NODE_CLASS_MAPPINGS = {}
                for file in glob.glob(os.path.join(os.path.dirname(__file__), "py", "*.py")):
                    module = importlib.import_module(os.path.basename(file)[:-3])
                    NODE_CLASS_MAPPINGS.update(module.NODE_CLASS_MAPPINGS)
            """,
            "py/blur.py": BLUR + 'NODE_CLASS_MAPPINGS = {"Sharpen": Sharpen}\n',
            "py/helpers.py": "class Unregistered:\n    CATEGORY = 'x'\n",
        },
    )

    assert pack.comfy_nodes == (SHARPEN_NODE,)


def test_import_cycles_end(tmp_path):
    pack = scan_files(
        tmp_path,
        {
            "__init__.py": "from .a import *\nNODE_CLASS_MAPPINGS = {'A': A, 'B': B}\n",
            "a.py": "from .b import *\nclass A:\n    CATEGORY = 'a'\n",
            "b.py": "from .a import *\nfrom . import b\nclass B(b.B):\n    CATEGORY = 'b'\n",
        },
    )

    assert pack.comfy_nodes == (
        {"comfy_node_name": "A", "category": "a"},
        {"comfy_node_name": "B", "category": "b"},
    )
