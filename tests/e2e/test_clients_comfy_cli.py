"""End to end: the real comfy-cli (pinned) lists, installs and checks packs from the mirror.

comfy-cli has no base-URL setting: ENVIRONMENT=dev points it at http://localhost:8080, so the
mirror is served there by real gunicorn, and the real `comfy` executable runs with its own HOME
and no way to the internet. What it calls (comfy_cli/registry/api.py):
- `node registry-list`: GET /nodes (one page, the default size) and prints a table;
- `node registry-install ID [--version V]`: GET /nodes/ID/install[?version=V], downloads
  downloadUrl with httpx, unzips it into WS/custom_nodes/ID/ and deletes the zip;
- `node deps --registry ID`: GET /nodes/ID (its latest_version.dependencies) and a local
  `python -m pip list`; it installs nothing and needs no internet.
A workspace is only a folder with custom_nodes/ in it.
"""

import html
import json
import re
import shlex
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.clients import (
    archive_files,
    dead_proxy,
    get_json,
    installed_project,
    offline_env,
    port_taken,
    require_client,
    seed_version,
)
from tests.serving import BIN, serve_mirror

# The only registry comfy-cli's dev mode talks to.
DEV_PORT = 8080


@pytest.fixture(scope="module")
def dev_mirror(tmp_path_factory):
    """The seeded mirror on 127.0.0.1:8080, where ENVIRONMENT=dev sends comfy-cli (a mirror of
    its own, not the session's seeded_server: comfy-cli looks at this one port only)."""
    require_client("comfy-cli")
    if port_taken(DEV_PORT):
        pytest.fail(
            f"Port {DEV_PORT} on localhost is in use. comfy-cli (ENVIRONMENT=dev) only looks at "
            f"http://localhost:{DEV_PORT}, so this test must serve the mirror there: stop what "
            "listens on it (e.g. `make run`) and run again.",
            pytrace=False,
        )
    with serve_mirror(tmp_path_factory.mktemp("mirror"), port=DEV_PORT) as served:
        yield served.url


class Comfy:
    """The real `comfy` executable with its own HOME, a workspace, and no internet."""

    def __init__(self, tmp_path: Path, proxy: str):
        self.workspace = tmp_path / "ws"
        (self.workspace / "custom_nodes").mkdir(parents=True)
        (tmp_path / "home").mkdir()
        # ENVIRONMENT is read when comfy-cli builds its registry client, at import: set it
        # before the process starts. COLUMNS keeps rich from wrapping the table's cells.
        self.env = offline_env(tmp_path / "home", proxy, ENVIRONMENT="dev", COLUMNS="1000")

    def __call__(self, *args: str, workspace: bool = True) -> subprocess.CompletedProcess:
        """Run `comfy --skip-prompt [--workspace WS] ARGS...`."""
        where = ["--workspace", str(self.workspace)] if workspace else []
        return subprocess.run(
            [str(BIN / "comfy"), "--skip-prompt", *where, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def pack(self, node_id: str) -> Path:
        """Where registry-install puts a pack."""
        return self.workspace / "custom_nodes" / node_id


@pytest.fixture
def comfy(dev_mirror, tmp_path):
    """comfy-cli set up as a user would: tracking disabled first, so it never prompts."""
    with dead_proxy() as proxy:
        comfy = Comfy(tmp_path, proxy)
        disabled = comfy("tracking", "disable", workspace=False)
        assert disabled.returncode == 0, disabled.stderr
        assert "Tracking is now disabled" in disabled.stdout
        yield comfy


def table_rows(output: str) -> list[list[str]]:
    """The body rows of a rich table printed with box characters."""
    return [
        [cell.strip() for cell in line.strip().strip("│").split("│")]
        for line in output.splitlines()
        if line.startswith("│")
    ]


def test_registry_list_shows_the_mirrors_first_page_of_nodes(comfy, dev_mirror):
    listed = comfy("node", "registry-list")
    assert listed.returncode == 0, listed.stderr
    assert "Failed to fetch nodes" not in listed.stdout + listed.stderr
    rows = table_rows(listed.stdout)
    # comfy-cli reads one page of GET /nodes at the default size, as it does upstream.
    page = get_json(f"{dev_mirror}/nodes")["nodes"]
    assert len(rows) == len(page) == 10
    assert [(row[0], row[1], row[-1]) for row in rows] == [
        (node["id"], node["name"], (node.get("latest_version") or {}).get("version", "N/A"))
        for node in page
    ]


def test_registry_install_pinned_version_unpacks_the_mirrored_archive(comfy):
    installed = comfy(
        "node", "registry-install", "comfyui-kjnodes", "--version", "1.10.0", "--force-download"
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    pack = comfy.pack("comfyui-kjnodes")
    assert {path.name for path in pack.iterdir()} == archive_files("comfyui-kjnodes", "1.10.0")
    assert (pack / "__init__.py").is_file()
    project = installed_project(pack)
    assert (project["name"], project["version"]) == ("comfyui-kjnodes", "1.10.0")


def test_registry_install_without_version_takes_the_semver_latest(comfy):
    """1.11.0, not 1.9.0 (text order) nor 1.10.1; the zip is deleted after unpacking."""
    installed = comfy("node", "registry-install", "comfyui-kjnodes")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    pack = comfy.pack("comfyui-kjnodes")
    assert installed_project(pack)["version"] == "1.11.0"
    assert not list(pack.glob("*.zip"))


def test_registry_install_force_download_replaces_an_installed_version(comfy):
    for version in ("1.0.1", "1.2.10"):
        installed = comfy(
            "node", "registry-install", "comfyui-kjnodes", "--version", version, "--force-download"
        )
        assert installed.returncode == 0, installed.stdout + installed.stderr
    assert "already exists in the workspace" in installed.stdout + installed.stderr
    assert installed_project(comfy.pack("comfyui-kjnodes"))["version"] == "1.2.10"


def test_registry_install_of_a_banned_node_fails_with_the_mirrors_403(comfy):
    refused = comfy("--json", "node", "registry-install", "comfyui-free-gpu-boost")
    assert refused.returncode == 1
    error = json.loads(refused.stdout)["error"]
    assert error["code"] == "registry_install_failed"
    assert error["details"]["status"] == 403
    assert json.loads(error["details"]["body"])["error"] == "Forbidden"
    assert not comfy.pack("comfyui-free-gpu-boost").exists()


def test_deps_registry_reports_the_latest_versions_dependencies_and_installs_nothing(comfy):
    reported = comfy("--json", "node", "deps", "--registry", "comfyui-kjnodes")
    assert reported.returncode == 0, reported.stdout + reported.stderr
    envelope = json.loads(reported.stdout)
    assert envelope["ok"] is True
    assert envelope["data"]["warnings"] == []
    [pack] = envelope["data"]["packs"]
    assert (pack["pack"], pack["status"], pack["version"]) == (
        "comfyui-kjnodes",
        "registry",
        "1.11.0",
    )
    assert pack["declared"] == seed_version("comfyui-kjnodes", "1.11.0")["dependencies"]
    # Compared with the test venv's own `pip list`, which has all three.
    assert {row["name"]: row["status"] for row in pack["requirements"]} == {
        "pyyaml": "satisfied",
        "requests": "satisfied",
        "rich": "satisfied",
    }
    assert not any((comfy.workspace / "custom_nodes").iterdir())


def test_the_pack_page_install_command_installs_its_version(comfy, dev_mirror):
    """The comfy-cli command a person copies from the pack page works as written."""
    page = urllib.request.urlopen(f"{dev_mirror}/web/packs/comfyui-kjnodes", timeout=30).read()
    shown = re.findall(r'value="(comfy node registry-install [^"]+)"', page.decode())
    command = shlex.split(html.unescape(next(c for c in shown if c.endswith(" 1.10.0"))))
    assert command[:3] == ["comfy", "node", "registry-install"]
    installed = comfy(*command[1:], "--force-download")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert installed_project(comfy.pack("comfyui-kjnodes"))["version"] == "1.10.0"
