"""Several app servers on one PostgreSQL database and one archive directory, behind one nginx:
an import on one host is served by the other at once, imports from two hosts are serialised,
and a host stopped under load loses no request."""

import json
import os
import signal
import socket
import subprocess
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import psycopg
import pytest

from database import POSTGRESQL_WRITE_LOCK_KEY
from tests.databases import POSTGRESQL, backend, fresh_database
from tests.dumps import dump, node, version, write
from tests.http_wire import get, post_json
from tests.nginx import nginx
from tests.serving import BIN, ROOT, AccessLog, ServedMirror, flask, gunicorn, mirror_env, seed

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        backend() != POSTGRESQL,
        reason="several hosts share a PostgreSQL database; an SQLite file is one machine's",
    ),
]

BULK_PATH = "/bulk/nodes/versions"
SEEDED = ("comfyui-kjnodes", "1.0.0")
# The two competing dumps: the same versions of the same nodes, each with its own text.
CONTESTED_NODES = 100
# The load while a host stops: threads each asking until AFTER_STOP answers after the stop.
ASKERS = 4
BEFORE_STOP = 40
AFTER_STOP = 25
# Only guards against a hang: assertions count answers and wait for states, never for time.
HANG_GUARD_SECONDS = 120


@pytest.fixture(scope="module")
def common_mirror(tmp_path_factory) -> dict:
    """One mirror's database and archive directory, seeded: the environment every host shares.

    Once a module: each test changes only nodes of its own.
    """
    folder = tmp_path_factory.mktemp("common")
    with fresh_database(folder) as database:
        # Both hosts answer for one public address, nginx's, so their answers are alike.
        env = mirror_env(
            folder, database, WEB_CONCURRENCY="2", MIRROR_PUBLIC_URL="http://mirror.example.test"
        )
        seed(env)
        yield env


@pytest.fixture
def hosts(common_mirror, tmp_path) -> list[ServedMirror]:
    """Two gunicorns of two workers each on one mirror, each with its access log and
    master's pid file (host-N.log, host-N.pid)."""
    with ExitStack() as stack:
        served = []
        for number in (1, 2):
            log = tmp_path / f"host-{number}.log"
            env = {
                **common_mirror,
                "GUNICORN_ACCESS_LOG": str(log),
                "GUNICORN_CMD_ARGS": f"--pid {tmp_path / f'host-{number}.pid'}",
            }
            url = stack.enter_context(gunicorn(env))
            served.append(ServedMirror(url, env, AccessLog(log, url)))
        yield served


def bulk_of(*pairs: tuple[str, str]) -> dict:
    """A bulk request body asking for these pairs."""
    return {"node_versions": [{"node_id": node_id, "version": number} for node_id, number in pairs]}


def test_an_import_on_one_host_is_served_by_the_other_at_once(hosts, tmp_path):
    host_1, host_2 = hosts
    asked = bulk_of(("fresh-pack", "1.0.0"))
    # Every worker of host 2 has answered (and cached its status) before the import.
    before = [get(host_2.url, "/status").json()["nodes"] for _ in range(8)]
    assert (
        post_json(host_2.url, BULK_PATH, asked).json()["node_versions"][0]["status"] == "not_found"
    )
    fresh = write(tmp_path / "fresh.json", dump(node("fresh-pack", version("1.0.0"))))

    imported = flask("mirror", "import", str(fresh), env=host_1.env)

    assert imported.returncode == 0, imported.stderr
    answer = post_json(host_2.url, BULK_PATH, asked)
    assert answer.status == 200
    assert answer.json()["node_versions"][0]["status"] == "success", answer.body
    assert get(host_2.url, "/nodes/fresh-pack").status == 200
    after = [get(host_2.url, "/status").json()["nodes"] for _ in range(8)]
    assert after == [before[0] + 1] * 8


def contested_dump(mark: str) -> dict:
    """CONTESTED_NODES nodes of two versions each, every text field carrying `mark`."""
    return dump(
        *(
            node(
                f"contested-{index:03d}",
                version("1.0.0", changelog=f"{mark} 1.0.0"),
                version("1.1.0", changelog=f"{mark} 1.1.0"),
                description=f"from dump {mark}",
            )
            for index in range(CONTESTED_NODES)
        )
    )


def contested_state(hosts: list[ServedMirror], tmp_path: Path) -> tuple[bytes, list]:
    """The bulk answer for every contested pair (the same from each host), and the contested
    nodes of an export."""
    pairs = [(f"contested-{i:03d}", n) for i in range(CONTESTED_NODES) for n in ("1.0.0", "1.1.0")]
    answers = [post_json(host.url, BULK_PATH, bulk_of(*pairs)) for host in hosts]
    assert [answer.status for answer in answers] == [200] * len(hosts), answers[0].body
    assert len({answer.body for answer in answers}) == 1
    path = tmp_path / "export.json"
    exported = flask("mirror", "export", str(path), env=hosts[0].env)
    assert exported.returncode == 0, exported.stderr
    nodes = json.loads(path.read_bytes())["nodes"]
    return answers[0].body, [found for found in nodes if found["id"].startswith("contested-")]


def start_import(path: Path, host: ServedMirror) -> subprocess.Popen:
    """`flask mirror import PATH` on `host`, running; it waits for the write lock as long as the
    test's hang guard, since on a busy machine the other import may start late."""
    return subprocess.Popen(
        [str(BIN / "flask"), "mirror", "import", str(path)],
        cwd=ROOT,
        env={
            **os.environ,
            "FLASK_APP": "app",
            **host.env,
            "MIRROR_DB_LOCK_TIMEOUT": str(HANG_GUARD_SECONDS),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def waiting_writers(connection, database: str) -> int:
    """How many sessions wait for the mirror's write lock on `database`."""
    return connection.execute(
        "SELECT count(*) FROM pg_locks JOIN pg_database d ON d.oid = pg_locks.database"
        " WHERE locktype = 'advisory' AND NOT granted AND d.datname = %s",
        (database,),
    ).fetchone()[0]


def test_imports_from_two_hosts_at_once_end_as_one_after_the_other(hosts, common_mirror, tmp_path):
    host_1, host_2 = hosts
    paths = {mark: write(tmp_path / f"{mark}.json", contested_dump(mark)) for mark in "abc"}
    expected = {}
    for mark in "ab":
        assert flask("mirror", "import", str(paths[mark]), env=host_1.env).returncode == 0
        expected[mark] = contested_state(hosts, tmp_path)
    assert expected["a"][0] != expected["b"][0] and expected["a"][1] != expected["b"][1]
    assert flask("mirror", "import", str(paths["c"]), env=host_1.env).returncode == 0
    database = common_mirror["DATABASE_URL"].rpartition("/")[2]

    # Holding the write lock as a third writer would, both imports queue behind it together.
    with psycopg.connect(common_mirror["DATABASE_URL"], autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (POSTGRESQL_WRITE_LOCK_KEY,))
        imports = {"a": start_import(paths["a"], host_1), "b": start_import(paths["b"], host_2)}
        guard = time.monotonic() + HANG_GUARD_SECONDS
        while waiting_writers(holder, database) < 2:
            assert all(running.poll() is None for running in imports.values()), "an import ended"
            assert time.monotonic() < guard, "the imports never queued for the write lock"
            time.sleep(0.05)
        holder.execute("SELECT pg_advisory_unlock(%s)", (POSTGRESQL_WRITE_LOCK_KEY,))
    finished = {
        mark: running.communicate(timeout=HANG_GUARD_SECONDS) for mark, running in imports.items()
    }

    assert {mark: running.returncode for mark, running in imports.items()} == {"a": 0, "b": 0}, (
        finished
    )
    assert contested_state(hosts, tmp_path) in (expected["a"], expected["b"])


def keep_asking(front: str, stopped: threading.Event, statuses: list) -> None:
    """GET a node and POST a bulk request through nginx in turn, until AFTER_STOP answers after
    `stopped` is set; each answer's (status, whether it held the asked data) in `statuses`."""
    after_stop = 0
    for turn in range(100_000):
        if stopped.is_set():
            after_stop += 1
            if after_stop > AFTER_STOP:
                return
        if turn % 2:
            answer = get(front, f"/nodes/{SEEDED[0]}")
            statuses.append(
                (answer.status, answer.status == 200 and answer.json()["id"] == SEEDED[0])
            )
        else:
            answer = post_json(front, BULK_PATH, bulk_of(SEEDED))
            held = answer.status == 200 and answer.json()["node_versions"][0]["status"] == "success"
            statuses.append((answer.status, held))


def refuses_connections(url: str) -> bool:
    """Whether nothing listens at `url` any more."""
    host, _, port = url.removeprefix("http://").partition(":")
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def test_stopping_one_host_under_load_loses_no_request(hosts, common_mirror, tmp_path):
    host_1, host_2 = hosts
    statuses: list = []
    stopped = threading.Event()
    with nginx(
        tmp_path / "nginx", [host_1.url, host_2.url], common_mirror["MIRROR_ARCHIVE_DIR"]
    ) as front:
        askers = [
            threading.Thread(target=keep_asking, args=(front, stopped, statuses))
            for _ in range(ASKERS)
        ]
        for asker in askers:
            asker.start()
        guard = time.monotonic() + HANG_GUARD_SECONDS
        try:
            while len(statuses) < BEFORE_STOP:
                assert time.monotonic() < guard, "nginx answered too few requests"
                time.sleep(0.01)
            os.kill(int((tmp_path / "host-1.pid").read_text()), signal.SIGTERM)
            while not refuses_connections(host_1.url):
                assert time.monotonic() < guard, "host 1 did not stop"
                time.sleep(0.05)
        finally:
            stopped.set()
            for asker in askers:
                asker.join(timeout=HANG_GUARD_SECONDS)

    assert len(statuses) >= BEFORE_STOP + ASKERS * AFTER_STOP
    assert [status for status, held in statuses if not held] == []
    # The load was spread: host 1 answered some of it before it stopped.
    assert f"POST {BULK_PATH}" in host_1.log.wait_for(1)
