"""Starting the real mirror under gunicorn on 127.0.0.1 for end-to-end tests."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def flask(*args: str, env: dict) -> subprocess.CompletedProcess:
    """Run a `flask` command of the project as a user would, from the repo root."""
    return subprocess.run(
        [str(BIN / "flask"), *args],
        cwd=ROOT,
        env={**os.environ, "FLASK_APP": "app", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@contextmanager
def gunicorn(env: dict, port: int | None = None):
    """Serve the mirror with real gunicorn and the project's gunicorn.conf.py; yield its URL."""
    port = port or free_port()
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "app:create_app()", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError):
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"gunicorn did not start: {process.stderr.read()}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
