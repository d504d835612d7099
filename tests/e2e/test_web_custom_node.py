"""End to end: the connect page's custom node, downloaded from the served mirror and dropped
into a ComfyUI tree, makes the real ComfyUI-Manager (pinned) ask this mirror, with no internet."""

import json
import subprocess
import sys
import textwrap
import urllib.request

from tests.clients import dead_proxy, get_json, offline_env, require_client, write_comfyui_folder

# Loads custom_nodes/registry_mirror.py as ComfyUI loads a one-file custom node, then asks the
# registry through the Manager's own code; prints what it answered.
DRIVER = textwrap.dedent(
    """\
    import importlib.util, json, os, sys

    path = os.path.join(os.environ["COMFYUI_PATH"], "custom_nodes", "registry_mirror.py")
    spec = importlib.util.spec_from_file_location("registry_mirror", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["registry_mirror"] = module
    spec.loader.exec_module(module)

    from comfyui_manager.common import cnr_utils

    print("REPORT " + json.dumps(cnr_utils.all_versions_of_node("comfyui-kjnodes")))
    """
)


def test_the_downloaded_custom_node_points_the_manager_at_the_mirror(seeded_server, tmp_path):
    require_client("comfyui-manager")
    comfyui = write_comfyui_folder(tmp_path / "ComfyUI")
    url = f"{seeded_server.url}/web/connect/registry_mirror.py"
    with urllib.request.urlopen(url, timeout=10) as response:
        (comfyui / "custom_nodes" / "registry_mirror.py").write_bytes(response.read())
    (tmp_path / "drive.py").write_text(DRIVER)
    (tmp_path / "home").mkdir()
    with dead_proxy() as proxy:
        env = offline_env(
            tmp_path / "home", proxy, COMFYUI_PATH=str(comfyui), PYTHONPATH=str(comfyui)
        )
        ran = subprocess.run(
            [sys.executable, str(tmp_path / "drive.py")],
            cwd=comfyui,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    lines = [line for line in ran.stdout.splitlines() if line.startswith("REPORT ")]
    assert ran.returncode == 0 and lines, ran.stdout + ran.stderr
    answered = json.loads(lines[-1].removeprefix("REPORT "))
    statuses = "statuses=NodeVersionStatusActive&statuses=NodeVersionStatusPending"
    expected = get_json(f"{seeded_server.url}/nodes/comfyui-kjnodes/versions?{statuses}")
    assert answered == expected and len(answered) > 1
