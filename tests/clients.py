"""What the real-client tests share: the seeded mirror, an offline environment, ComfyUI's shape.

The clients (comfy-cli, ComfyUI-Manager) are pinned in requirements-clients.txt and always run
in their own processes, so their imports, globals and config files never touch pytest's.
"""

import importlib.metadata
import json
import os
import socket
import tomllib
import urllib.request
import zipfile
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.serving import ROOT, serve_mirror

REQUIREMENTS = ROOT / "requirements-clients.txt"
INSTALL = f".venv/bin/pip install --no-deps -r {REQUIREMENTS.name}"
SEED = ROOT / "seed_data"


def pinned_version(distribution: str) -> str:
    """The version requirements-clients.txt pins a distribution to."""
    for line in REQUIREMENTS.read_text().splitlines():
        name, _, version = line.partition("==")
        if version and name.strip().lower() == distribution.lower():
            return version.strip()
    raise AssertionError(f"{REQUIREMENTS.name} pins no {distribution}")


def require_client(distribution: str) -> None:
    """Fail (never skip) unless the client is installed at the pinned version."""
    wanted = pinned_version(distribution)
    try:
        installed = importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        pytest.fail(
            f"{distribution}=={wanted} is not installed; these tests drive the real client. "
            f"Install it from the repository root with: {INSTALL}",
            pytrace=False,
        )
    if installed != wanted:
        pytest.fail(
            f"{distribution} {installed} is installed but the tests are written against "
            f"{wanted}; reinstall with: {INSTALL}",
            pytrace=False,
        )


def seed_nodes() -> list[dict]:
    """The nodes of the sample bundle `flask mirror seed` loads."""
    return json.loads((SEED / "sample-registry.json").read_text())["nodes"]


def seed_version(node_id: str, version: str) -> dict:
    """One version of the sample bundle, as its dump carries it."""
    [node] = [node for node in seed_nodes() if node["id"] == node_id]
    [found] = [found for found in node["versions"] if found["version"] == version]
    return found


def archive_files(node_id: str, version: str) -> set[str]:
    """The names inside a mirrored archive of the sample bundle."""
    with zipfile.ZipFile(SEED / "archives" / node_id / f"{version}.zip") as archive:
        return set(archive.namelist())


def installed_project(pack: Path) -> dict:
    """The [project] table of an installed pack's pyproject.toml."""
    return tomllib.loads((pack / "pyproject.toml").read_text())["project"]


def get_json(url: str):
    """GET a JSON document from the mirror."""
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def port_taken(port: int) -> bool:
    """Whether something already listens on localhost:port (IPv4 or IPv6)."""
    for address in ("127.0.0.1", "::1"):
        try:
            socket.create_connection((address, port), timeout=1).close()
        except OSError:  # refused, or no IPv6 on this machine
            continue
        return True
    return False


@contextmanager
def served_mirror(folder: Path, port: int | None = None):
    """The sample bundle seeded into `folder` and served by real gunicorn; yields its URL.

    tests.serving.serve_mirror does the work (and yields more); this keeps the older call.
    """
    with serve_mirror(folder, port) as served:
        yield served.url


@contextmanager
def dead_proxy():
    """A proxy URL nothing answers: a bound, never-listening port refuses every connection."""
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{bound.getsockname()[1]}"


def offline_env(home: Path, proxy: str, **extra: str) -> dict:
    """A client process's environment: its own HOME, and no way out but to this machine.

    requests, httpx, aiohttp (trust_env) and urllib all send non-local URLs through the proxy,
    which refuses them at once, so an accidental internet call fails fast instead of passing.
    """
    env = {key: value for key, value in os.environ.items() if not key.lower().endswith("_proxy")}
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        env[name] = env[name.upper()] = proxy
    env["no_proxy"] = env["NO_PROXY"] = "127.0.0.1,localhost"
    env["HOME"] = str(home)
    env.update(extra)
    return env


def write_comfyui_folder(root: Path) -> Path:
    """The few files of a ComfyUI checkout that ComfyUI-Manager imports or reads."""
    (root / "comfy").mkdir(parents=True)
    (root / "utils").mkdir()
    (root / "custom_nodes").mkdir()
    (root / "comfy" / "__init__.py").write_text("")
    (root / "utils" / "__init__.py").write_text("")
    (root / "comfy" / "cli_args.py").write_text(
        "import argparse\n\n"
        "args = argparse.Namespace(\n"
        '    listen="127.0.0.1", port=8188, enable_manager=True, enable_manager_legacy_ui=False,\n'
        "    front_end_version=None, front_end_root=None,\n"
        ")\n"
    )
    (root / "utils" / "extra_config.py").write_text(
        "def load_extra_path_config(yaml_path, is_default=False):\n    pass\n"
    )
    (root / "pyproject.toml").write_text('[project]\nname = "ComfyUI"\nversion = "0.3.60"\n')
    (root / "folder_paths.py").write_text(FOLDER_PATHS)
    return root


# ComfyUI's folder_paths module, cut down to what ComfyUI-Manager touches.
FOLDER_PATHS = """\
import os

base_path = os.path.dirname(os.path.realpath(__file__))
models_dir = os.path.join(base_path, "models")
user_directory = os.path.join(base_path, "user")
output_directory = os.path.join(base_path, "output")
temp_directory = os.path.join(base_path, "temp")
input_directory = os.path.join(base_path, "input")
folder_names_and_paths = {"custom_nodes": ([os.path.join(base_path, "custom_nodes")], set())}


def get_folder_paths(folder_name):
    return folder_names_and_paths[folder_name][0][:]


def get_filename_list(folder_name):
    return []


def get_user_directory():
    return user_directory


def get_system_user_directory(name="system"):
    return os.path.join(user_directory, "__" + name)


def get_output_directory():
    return output_directory


def get_temp_directory():
    return temp_directory


def get_input_directory():
    return input_directory
"""
