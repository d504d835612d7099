"""The scanner finds the node classes a pack registers, in every shape a module builds its
mappings, without running the pack: the exact classes and fields found are asserted."""

import dataclasses
import json

import pytest

from services.node_classes import ScannedPack
from tests.packs import BLUR, BLUR_NODE, SHARPEN_NODE, names, scan_files


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
