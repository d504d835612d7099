"""nginx in front of a served mirror: deploy/nginx.conf.template rendered by envsubst into a
private prefix, run as `nginx -p PREFIX -c FILE -e PREFIX/error.log -g 'daemon off;'`."""

import os
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.serving import ROOT, free_port, stop

TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
# The variables the template uses, named so that envsubst leaves nginx's own ($host...) alone.
VARIABLES = "${NGINX_PREFIX} ${LISTEN} ${APP} ${ARCHIVE_DIR} ${PATH_PREFIX}"


def nginx_binary() -> str:
    """The nginx binary; skips the test when there is none, except under CI, which must have it."""
    found = shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.path.exists(path)),
        None,
    )
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("nginx is not installed; .ci/run installs it")
        pytest.skip("nginx is not installed (apt-get install nginx)")
    return found


def render(prefix: Path, listen: str, apps: list[str], archive_dir: str, path_prefix: str) -> Path:
    """Render the template into prefix/nginx.conf with envsubst, as the README does."""
    prefix.mkdir(parents=True, exist_ok=True)
    settings = {
        "NGINX_PREFIX": str(prefix),
        "LISTEN": listen,
        "APP": "\n".join(f"server {app};" for app in apps),
        "ARCHIVE_DIR": archive_dir,
        "PATH_PREFIX": path_prefix,
    }
    conf = prefix / "nginx.conf"
    with open(TEMPLATE, "rb") as template, open(conf, "wb") as rendered:
        subprocess.run(
            ["envsubst", VARIABLES],
            stdin=template,
            stdout=rendered,
            env={**os.environ, **settings},
            check=True,
        )
    return conf


@contextmanager
def nginx(prefix: Path, app_url: str | list[str], archive_dir: str, path_prefix: str = ""):
    """Run nginx in front of the mirror at `app_url` (or several gunicorns of one mirror, given
    a list); yield nginx's URL, path prefix included."""
    binary = nginx_binary()
    port = free_port()
    urls = [app_url] if isinstance(app_url, str) else app_url
    apps = [url.removeprefix("http://") for url in urls]
    conf = render(prefix, f"127.0.0.1:{port}", apps, archive_dir, path_prefix)
    command = [binary, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    # Started by root (as in CI), nginx's workers would become `nobody`, who cannot read
    # pytest's private temporary folders; as any other user they run as that user.
    directives = "daemon off;" + (" user root;" if os.geteuid() == 0 else "")
    process = subprocess.Popen(
        [*command, "-g", directives], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        _wait_listening(process, port, prefix)
        yield f"http://127.0.0.1:{port}{path_prefix}"
    finally:
        stop(process)


def _wait_listening(process: subprocess.Popen, port: int, prefix: Path, seconds: float = 20):
    """Return once nginx accepts connections on `port`; fail with its error log if it exits."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            log = prefix / "error.log"
            raise RuntimeError(f"nginx did not start: {log.read_text() if log.exists() else ''}")
        time.sleep(0.05)
