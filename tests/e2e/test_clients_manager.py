"""End to end: the real ComfyUI-Manager (pinned) reads the mirror and installs packs from it.

ComfyUI-Manager only runs inside ComfyUI, so a driver script runs it in its own process on a
ComfyUI-shaped folder (tests/clients.py), pointed at the mirror by its module global
`cnr_utils.base_url`, with no internet. It exercises what ComfyUI's Manager UI runs:
- cnr_utils: install_node (GET /nodes/{id}/install[?version=]), all_versions_of_node
  (GET /nodes/{id}/versions?statuses=Active&statuses=Pending) and get_cnr_data (GET /nodes pages
  of 30 until totalPages, with comfyui_version and form_factor);
- glob.manager_core.unified_manager: reload (the registry cache) and install_by_id, which
  installs a CNR pack (`_cnr_install`: download, unzip into custom_nodes/{id}, write .tracking)
  or switches an installed one to another version (`_cnr_switch_version_instant`).
Its `download_url` needs torchvision; the driver swaps in a plain urllib download (the version
switch keeps the Manager's own requests download).
The driver runs once per module; each test checks one behaviour in its report.
"""

import html
import json
import re
import subprocess
import sys
import textwrap
import urllib.request

import pytest

from tests.clients import (
    archive_files,
    dead_proxy,
    get_json,
    installed_project,
    offline_env,
    require_client,
    seed_nodes,
    seed_version,
    write_comfyui_folder,
)

# The driver runs the Manager once for the module, in seconds: every test here waits for it.
pytestmark = pytest.mark.slow

DRIVER = textwrap.dedent(
    '''\
    """Drive ComfyUI-Manager's registry code against a mirror; print what it saw as JSON.

    Run with the ComfyUI-shaped folder as COMFYUI_PATH and on PYTHONPATH, as ComfyUI runs it.
    """

    import asyncio
    import dataclasses
    import json
    import os
    import pathlib
    import shutil
    import sys
    import traceback
    import urllib.request

    from comfyui_manager.common import cnr_utils, manager_downloader
    from comfyui_manager.glob import manager_core

    # Read at every call, so setting it after the imports is enough.
    cnr_utils.base_url = sys.argv[1]
    custom_nodes = pathlib.Path(os.environ["COMFYUI_PATH"], "custom_nodes")
    manager = manager_core.unified_manager
    downloads = []
    report = {}


    def plain_download(url, model_dir, filename):
        """manager_downloader.download_url without torchvision."""
        downloads.append(url)
        target = os.path.join(model_dir, filename)
        with urllib.request.urlopen(url, timeout=30) as response, open(target, "wb") as file:
            shutil.copyfileobj(response, file)


    manager_downloader.download_url = plain_download


    def step(name, run):
        try:
            report[name] = run()
        except Exception:
            report[name] = {"exception": traceback.format_exc()}


    def fetched(node_version):
        return None if node_version is None else dataclasses.asdict(node_version)


    def install(node_id, version=None):
        result = asyncio.run(
            manager.install_by_id(node_id, version, instant_execution=True, no_deps=True)
        )
        return {"action": result.action, "result": result.result, "msg": result.msg}


    def listing():
        nodes = asyncio.run(cnr_utils.get_cnr_data(cache_mode=False, dont_wait=False))
        return [
            {
                "id": node["id"],
                "latest": node["latest_version"]["version"],
                "publisher": node["publisher"]["name"],
            }
            for node in nodes
        ]


    def installed():
        asyncio.run(manager.reload("remote", dont_wait=False, update_cnr_map=False))
        return {node_id: found[0] for node_id, found in manager.active_nodes.items()}


    install_node = cnr_utils.install_node
    step("install_node_latest", lambda: fetched(install_node("rgthree-comfy")))
    step("install_node_pinned", lambda: fetched(install_node("comfyui-kjnodes", "1.10.0")))
    step("install_node_banned", lambda: fetched(install_node("comfyui-free-gpu-boost")))
    step("all_versions", lambda: cnr_utils.all_versions_of_node("comfyui-kjnodes"))
    step("cnr_data", listing)
    step("reload", lambda: asyncio.run(manager.reload("remote", dont_wait=False)))
    step("install_latest", lambda: install("rgthree-comfy"))
    # As `cm-cli install ID@VERSION` does: the spec is the one the mirror's pack page shows.
    step("install_pinned", lambda: install(*manager.resolve_node_spec(sys.argv[2])[:2]))
    step("kjnodes_pinned", (custom_nodes / "comfyui-kjnodes" / "pyproject.toml").read_text)
    step("switch_version", lambda: install("comfyui-kjnodes", "1.11.0"))
    step("install_banned_version", lambda: install("lumen_tiled.upscale", "0.4.0"))
    # What ComfyUI decides when it listens beyond loopback without allow_flagged_nodepack_install.
    os.environ["_COMFYUI_MANAGER_CNR_ALLOW_FLAGGED"] = "false"
    step("install_flagged", lambda: install("comfyui-florence2", "1.1.0"))
    step("installed", installed)
    report["downloads"] = downloads
    print("REPORT " + json.dumps(report))
    '''
)


@pytest.fixture(scope="module")
def comfyui(tmp_path_factory):
    """A ComfyUI-shaped folder for the Manager to install into."""
    return write_comfyui_folder(tmp_path_factory.mktemp("ComfyUI"))


@pytest.fixture(scope="module")
def report(seeded_server, comfyui, tmp_path_factory):
    """What the driver saw, run once in its own process with the venv's python."""
    require_client("comfyui-manager")
    scratch = tmp_path_factory.mktemp("manager")
    driver = scratch / "drive_manager.py"
    driver.write_text(DRIVER)
    (scratch / "home").mkdir()
    with dead_proxy() as proxy:
        env = offline_env(
            scratch / "home", proxy, COMFYUI_PATH=str(comfyui), PYTHONPATH=str(comfyui)
        )
        ran = subprocess.run(
            [sys.executable, str(driver), seeded_server.url, page_spec(seeded_server.url)],
            cwd=comfyui,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    lines = [line for line in ran.stdout.splitlines() if line.startswith("REPORT ")]
    assert ran.returncode == 0 and lines, ran.stdout + ran.stderr
    return json.loads(lines[-1].removeprefix("REPORT "))


def page_spec(url: str) -> str:
    """The ID@VERSION of the ComfyUI-Manager command the pack page shows for kjnodes 1.10.0."""
    with urllib.request.urlopen(f"{url}/web/packs/comfyui-kjnodes", timeout=30) as response:
        page = html.unescape(response.read().decode())
    shown = re.findall(r'value="cm-cli install ([^"]+)"', page)
    return next(spec for spec in shown if spec.endswith("@1.10.0"))


def succeeded(report: dict, step: str):
    """A step's result, or a failure showing the traceback it raised."""
    result = report[step]
    if isinstance(result, dict) and "exception" in result:
        pytest.fail(f"{step} raised:\n{result['exception']}")
    return result


def test_install_node_without_version_gets_the_latest_active_version(report, seeded_server):
    found = succeeded(report, "install_node_latest")
    assert found["version"] == "1.5.0"
    assert found["status"] == "NodeVersionStatusActive"
    assert found["download_url"] == f"{seeded_server.url}/archives/rgthree-comfy/1.5.0/node.zip"


def test_install_node_with_version_gets_that_version(report):
    found = succeeded(report, "install_node_pinned")
    seeded = seed_version("comfyui-kjnodes", "1.10.0")
    assert found["version"] == "1.10.0"
    assert found["dependencies"] == seeded["dependencies"]
    assert found["changelog"] == seeded["changelog"]
    assert found["deprecated"] is False


def test_install_node_of_a_banned_node_gets_nothing(report):
    assert succeeded(report, "install_node_banned") is None


def test_all_versions_of_node_lists_active_and_pending_newest_first(report):
    versions = succeeded(report, "all_versions")
    assert [found["version"] for found in versions] == [
        "1.11.0",
        "1.10.1",
        "1.10.0",
        "1.9.0",
        "1.8.3",
        "1.2.10",
        "1.1.0",
        "1.0.1",
    ]
    assert {found["status"] for found in versions} == {
        "NodeVersionStatusActive",
        "NodeVersionStatusPending",
    }
    assert all(found["createdAt"] and found["id"] for found in versions)


def test_get_cnr_data_lists_every_mirrored_node_across_pages(report, seeded_server):
    """All 36 sample nodes (more than a page of 30), banned ones too, as upstream lists them."""
    listed = succeeded(report, "cnr_data")
    assert sorted(node["id"] for node in listed) == sorted(node["id"] for node in seed_nodes())
    page = get_json(f"{seeded_server.url}/nodes?limit=100")["nodes"]
    # The Manager calls a node with no active version "nightly".
    assert {node["id"]: node["latest"] for node in listed} == {
        node["id"]: node.get("latest_version", {}).get("version", "nightly") for node in page
    }
    assert {node["id"]: node["publisher"] for node in listed} == {
        node["id"]: node["publisher"]["name"] for node in page
    }


def test_install_by_id_unpacks_the_latest_archive_into_custom_nodes(report, comfyui):
    assert succeeded(report, "reload") is None
    result = succeeded(report, "install_latest")
    assert (result["action"], result["result"]) == ("install-cnr", True), result
    pack = comfyui / "custom_nodes" / "rgthree-comfy"
    files = archive_files("rgthree-comfy", "1.5.0")
    assert {path.name for path in pack.iterdir()} == files | {".tracking"}
    assert set((pack / ".tracking").read_text().split("\n")) == files
    project = installed_project(pack)
    assert (project["name"], project["version"]) == ("rgthree-comfy", "1.5.0")


def test_install_by_id_pinned_then_switches_to_another_version(report, comfyui):
    pinned = succeeded(report, "install_pinned")
    assert (pinned["action"], pinned["result"]) == ("install-cnr", True), pinned
    assert 'version = "1.10.0"' in succeeded(report, "kjnodes_pinned")
    switched = succeeded(report, "switch_version")
    assert (switched["action"], switched["result"]) == ("switch-cnr", True), switched
    project = installed_project(comfyui / "custom_nodes" / "comfyui-kjnodes")
    assert (project["name"], project["version"]) == ("comfyui-kjnodes", "1.11.0")


def test_install_by_id_refuses_a_banned_version(report, comfyui):
    result = succeeded(report, "install_banned_version")
    assert result["result"] is False
    assert "not available" in result["msg"]
    assert not (comfyui / "custom_nodes" / "lumen_tiled.upscale").exists()


def test_install_by_id_refuses_a_flagged_version_by_its_status(report, comfyui):
    result = succeeded(report, "install_flagged")
    assert result["result"] is False
    assert "not allowed" in result["msg"]
    assert not (comfyui / "custom_nodes" / "comfyui-florence2").exists()


def test_installed_packs_are_recognised_as_registry_packs(report):
    """The archive's pyproject.toml and .tracking make them CNR packs of the right version."""
    assert succeeded(report, "installed") == {
        "rgthree-comfy": "1.5.0",
        "comfyui-kjnodes": "1.11.0",
    }


def test_installs_download_the_mirrors_archives(report, seeded_server):
    """Through download_url; the version switch downloads with requests, as offline as the rest."""
    assert report["downloads"] == [
        f"{seeded_server.url}/archives/rgthree-comfy/1.5.0/node.zip",
        f"{seeded_server.url}/archives/comfyui-kjnodes/1.10.0/node.zip",
    ]


def test_the_manager_keeps_its_files_in_the_comfyui_user_folder(report, comfyui):
    """folder_paths was found: nothing of the Manager's lands in the venv's site-packages."""
    assert (comfyui / "user" / "__manager" / "cache").is_dir()
