"""Serving the real mirror on 127.0.0.1: `flask mirror seed`, real gunicorn with the project's
gunicorn.conf.py, and the requests it logs. The end-to-end tests and bench/ both serve from here."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.databases import fresh_database

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def flask(*args: str, env: dict) -> subprocess.CompletedProcess:
    """Run a `flask` command of the project as a user would, from the repo root."""
    return subprocess.run(**_flask_call(args, env), capture_output=True, timeout=120)


def flask_process(*args: str, env: dict) -> subprocess.Popen:
    """Start a `flask` command as `flask()` runs it, its stdout and stderr piped, as text."""
    return subprocess.Popen(
        **_flask_call(args, env), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def _flask_call(args: tuple[str, ...], env: dict) -> dict:
    """How `flask ARGS` is run from the repo root, in `env` over this process's environment."""
    return {
        "args": [str(BIN / "flask"), *args],
        "cwd": ROOT,
        "env": {**os.environ, "FLASK_APP": "app", **env},
        "text": True,
    }


def mirror_env(folder: Path, database: str, **settings: str) -> dict:
    """The environment of a mirror's processes: the database at URL `database` (see
    tests.databases.fresh_database), its files in `folder`, plus `settings`.

    Archives go to folder/archives and gunicorn's access log to folder/access.log.
    """
    return {
        "DATABASE_URL": database,
        "MIRROR_ARCHIVE_DIR": str(folder / "archives"),
        "GUNICORN_ACCESS_LOG": str(folder / "access.log"),
        **settings,
    }


def seed(env: dict) -> None:
    """Load seed_data/ into the empty mirror of `env` by `flask mirror seed`, as `make run` does."""
    seeded = flask("mirror", "seed", env=env)
    assert seeded.returncode == 0, seeded.stderr
    assert "Seeded the empty mirror" in seeded.stdout, seeded.stdout


@contextmanager
def gunicorn(
    env: dict, port: int | None = None, start_seconds: float = 60, target: str = "app:create_app()"
):
    """Serve the mirror (or another WSGI `target`) with real gunicorn and the project's
    gunicorn.conf.py; yield its URL."""
    port = port or free_port()
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), target, "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_seconds
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
        stop(process)


def stop(process: subprocess.Popen) -> None:
    """End a server process: politely, then by force if it lingers."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# The file a served gunicorn's master writes its pid to, under the folder pid_file_settings names.
PID_FILE = "gunicorn.pid"


def pid_file_settings(folder: Path) -> dict[str, str]:
    """The setting that makes gunicorn write its master's pid to folder/gunicorn.pid."""
    return {"GUNICORN_CMD_ARGS": f"--pid {folder / PID_FILE}"}


def master_pid(folder: Path) -> int:
    """The pid of the gunicorn master that pid_file_settings(folder) was given to."""
    return int((folder / PID_FILE).read_text())


def worker_pids(master: int) -> set[int]:
    """The pids of a gunicorn master's worker processes now (its children, read from /proc)."""
    workers = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended while we looked
        if int(fields[1]) == master:
            workers.add(int(stat.parent.name))
    return workers


def wait_for_workers(master: int, count: int, gone: set[int], seconds: float = 60) -> set[int]:
    """Wait until the master has `count` workers, none of them in `gone`; their pids."""
    deadline = time.monotonic() + seconds
    while True:
        workers = worker_pids(master)
        if len(workers) == count and not workers & gone:
            return workers
        if time.monotonic() > deadline:
            raise AssertionError(f"gunicorn {master} has workers {workers}, not {count} new ones")
        time.sleep(0.05)


def wait_for_master(folder: Path, pid_file: str = PID_FILE, seconds: float = 60) -> int:
    """Wait until folder/`pid_file` names a running gunicorn master with its workers; its pid.

    A master started by USR2 writes gunicorn.pid.2, and renames it gunicorn.pid once the old
    master has exited.
    """
    deadline = time.monotonic() + seconds
    while True:
        try:
            master = int((folder / pid_file).read_text())
            if worker_pids(master) and Path(f"/proc/{master}").exists():
                return master
        except (OSError, ValueError):
            pass  # not written yet, or being written
        if time.monotonic() > deadline:
            raise AssertionError(f"no gunicorn master wrote {folder / pid_file}")
        time.sleep(0.05)


def wait_until_gone(pid: int, seconds: float = 60) -> None:
    """Wait until process `pid` has exited (whoever its parent is)."""
    deadline = time.monotonic() + seconds
    while Path(f"/proc/{pid}").exists():
        stat = Path(f"/proc/{pid}/stat")
        try:
            if stat.read_text().rsplit(")", 1)[1].split()[0] == "Z":
                return  # exited; its parent has yet to reap it
        except OSError:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"process {pid} did not exit")
        time.sleep(0.05)


class AccessLog:
    """The requests a served mirror's gunicorn logged, read from a mark onwards."""

    _REQUEST = re.compile(r'"(GET|HEAD|POST) (\S+) HTTP/[\d.]+"')

    def __init__(self, path: Path, url: str):
        self.path, self.url = path, url
        self.offset = 0
        self._probes = 0

    def mark(self) -> None:
        """Read from the log's end on, once requests answered before are in it.

        The worker's threads log as they finish, so the last requests of a sync (answered four
        at a time) may reach the log after it returned: a probe logged first waits for them.
        """
        if self.path.exists():
            self.since_mark()
        self.offset = self.path.stat().st_size if self.path.exists() else 0

    def since_mark(self) -> list[str]:
        """The requests logged since the mark, in order, from a gunicorn with one worker.

        The worker logs each request before it takes the next: once a request of our own, sent
        now, is in the log, so is every request answered before it.
        """
        self._probes += 1
        probe = f"GET /health?access-log-probe={self._probes}"
        urllib.request.urlopen(self.url + probe.removeprefix("GET "), timeout=10).close()
        logged = self._wait(lambda requests: probe in requests)
        return logged[: logged.index(probe)]

    def wait_for(self, count: int) -> list[str]:
        """The requests logged since the mark, once there are at least `count` of them."""
        return self._wait(lambda requests: len(requests) >= count)

    def _wait(self, done: Callable[[list[str]], bool], seconds: float = 30) -> list[str]:
        deadline = time.monotonic() + seconds
        while not done(requests := self._read()):
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.path} did not log the requests expected: {requests}")
            time.sleep(0.02)
        return requests

    def _read(self) -> list[str]:
        if not self.path.exists():
            return []
        with open(self.path, "rb") as log:
            log.seek(self.offset)
            lines = log.read().decode().splitlines()
        return [" ".join(m.groups()) for m in map(self._REQUEST.search, lines) if m]


@dataclass(frozen=True)
class ServedMirror:
    """A mirror under real gunicorn: its URL, its processes' environment, its access log."""

    url: str
    env: dict
    log: AccessLog


@contextmanager
def serve_mirror(
    folder: Path,
    port: int | None = None,
    *,
    seeded: bool = True,
    database: str | None = None,
    **settings: str,
):
    """Serve a mirror from `folder` with real gunicorn; yields a ServedMirror.

    The mirror gets a database of its own on the run's backend, dropped after, unless
    `database` gives the URL of one the caller owns (usually already loaded). seed_data/ is
    loaded first by `flask mirror seed` unless seeded=False. One gunicorn worker unless
    WEB_CONCURRENCY is given, so the access log lists requests in the order they were answered.
    """
    with ExitStack() as stack:
        database = database or stack.enter_context(fresh_database(folder))
        env = mirror_env(folder, database, **{"WEB_CONCURRENCY": "1", **settings})
        if seeded:
            seed(env)
        url = stack.enter_context(gunicorn(env, port))
        yield ServedMirror(url, env, AccessLog(Path(env["GUNICORN_ACCESS_LOG"]), url))
