"""The scanner follows registrations across a pack's modules (relative, package and absolute
imports, star imports, loops over submodules, modules imported by name), finds the pack's root,
and reads the newer extension entry point with its io.Schema definitions."""

import pytest

from services.node_classes import scan_archive
from tests.packs import BLUR, BLUR_NODE, SHARPEN_NODE, names, scan_files, write_tar_gz, write_zip


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
