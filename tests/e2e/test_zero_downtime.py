"""Changes to a serving mirror under steady load through nginx (deploy/nginx.conf.template in
front of one gunicorn of two workers): an import, a graceful reload, a new master taking over, a
worker killed, `flask db upgrade`. wrk keeps 8 connections busy with bulk requests and pages of
nodes; no request gets an answer other than 2xx or loses its connection (but the answers a
killed worker was sending), and a checker's bulk answers are each wholly the old data or wholly
the new."""

import http.client
import json
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.bundles import SEED_DUMP
from tests.dumps import write
from tests.http_wire import post_json
from tests.load import BULK_PATH, Load, LoadReport, bulk_body, logged_load_requests, wrk_binary
from tests.nginx import nginx
from tests.serving import (
    PID_FILE,
    ServedMirror,
    flask,
    master_pid,
    pid_file_settings,
    serve_mirror,
    wait_for_master,
    wait_for_workers,
    wait_until_gone,
    worker_pids,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

WORKERS = 2
THREADS = 8
# The most wrk may send for, a guard only: each test ends the load (as Ctrl-C would) once nginx
# has logged LOGGED_AROUND_CHANGE of its requests after the change, which began once nginx had
# logged as many before it. So the change happens under load however long it takes (a `flask`
# command needs about 1.2 s of CPU, and gets a small share of two busy cores).
LOAD_LIMIT_SECONDS = 120
LOGGED_AROUND_CHANGE = 200
# The checker's pause between its requests.
PACE_SECONDS = 0.05
SEED_PAIRS = [
    (node["id"], version["version"])
    for node in json.loads(SEED_DUMP.read_text())["nodes"]
    for version in node["versions"]
]
LOAD_REQUESTS = [("bulk", bulk_body(SEED_PAIRS[:30])), ("get", "/nodes?page=1&limit=30")]
# What nginx logs for an answer cut off because its gunicorn worker died while sending it.
CUT_ANSWER = "while reading upstream"


@dataclass(frozen=True)
class Front:
    """nginx in front of a served mirror: nginx's URL and files, the mirror's folder."""

    url: str
    prefix: Path
    served: ServedMirror
    folder: Path

    def logged_load(self) -> int:
        """How many of wrk's requests nginx has logged."""
        return logged_load_requests(self.prefix / "access.log")


@pytest.fixture
def front(tmp_path):
    """The seeded mirror under gunicorn (two workers, its pid in a file) behind nginx."""
    wrk_binary()
    folder = tmp_path / "mirror"
    settings = {"WEB_CONCURRENCY": str(WORKERS), "GUNICORN_THREADS": str(THREADS)}
    settings |= {"MIRROR_TRUSTED_PROXIES": "1", **pid_file_settings(folder)}
    with serve_mirror(folder, **settings) as served:
        archives = served.env["MIRROR_ARCHIVE_DIR"]
        with nginx(tmp_path / "nginx", served.url, archives) as url:
            yield Front(url, tmp_path / "nginx", served, folder)


class Checker(threading.Thread):
    """Asks nginx for every seeded pair in one bulk request, again and again, keeping each
    answer's results, and each failure, until halted."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url = url
        self.answers: list[list] = []
        self.failures: list[BaseException | str] = []
        self.halt = threading.Event()

    def run(self) -> None:
        """Send until halted."""
        # Paced, so the checker takes little of what the load and the change need.
        while not self.halt.wait(PACE_SECONDS):
            try:
                answer = post_json(self.url, BULK_PATH, bulk_body(SEED_PAIRS))
            except (OSError, http.client.HTTPException) as exc:
                self.failures.append(exc)
                continue
            if answer.status != 200:
                self.failures.append(f"{answer.status}: {answer.body[:300]!r}")
                continue
            self.answers.append(answer.json()["node_versions"])


@dataclass
class Run:
    """What a change under load saw: wrk's report, the checker's answers, nginx's error log."""

    report: LoadReport
    checker: Checker
    before: list
    after: list
    nginx_errors: str

    def assert_each_answer_whole(self) -> None:
        """Every checker answer is wholly the data before the change or wholly the data after,
        and once one is the data after, none later is the data before."""
        generations = []
        for results in self.checker.answers:
            if results == self.before:
                generations.append("before")
            elif results == self.after:
                generations.append("after")
            else:
                mixed = [
                    r["identifier"] for r, b in zip(results, self.before, strict=True) if r != b
                ]
                raise AssertionError(f"an answer mixed the data before and after: {mixed[:10]}")
        assert generations == sorted(generations, key=["before", "after"].index), generations


def checked_results(url: str) -> list:
    """The checker's bulk request, answered now."""
    answer = post_json(url, BULK_PATH, bulk_body(SEED_PAIRS))
    assert answer.status == 200, answer.body
    return answer.json()["node_versions"]


def wait_while_loaded(load: Load, done: Callable[[], bool], what: str) -> None:
    """Wait until `done()`; fail if the load ends first (the change would not be under load)."""
    while not done():
        if not load.running():
            raise AssertionError(f"the load ended before {what}")
        time.sleep(0.02)


def under_load(front: Front, change: Callable[[], None], workdir: Path) -> Run:
    """Run `change` once wrk has been sending a while; end wrk once it has sent as much again."""
    before = checked_results(front.url)
    load = Load(front.url, LOAD_REQUESTS, LOAD_LIMIT_SECONDS, workdir)
    checker = Checker(front.url)
    checker.start()
    try:
        wait_while_loaded(
            load,
            lambda: checker.answers and front.logged_load() >= LOGGED_AROUND_CHANGE,
            "the change began",
        )
        change()
        logged, answered = front.logged_load(), len(checker.answers)
        wait_while_loaded(
            load,
            lambda: (
                front.logged_load() >= logged + LOGGED_AROUND_CHANGE
                and len(checker.answers) > answered
            ),
            "requests were answered after the change",
        )
        report = load.finish()
    finally:
        checker.halt.set()
        load.stop()
    checker.join(timeout=60)
    after = checked_results(front.url)
    errors = (front.prefix / "error.log").read_text()
    return Run(report, checker, before, after, errors)


def assert_nothing_failed(run: Run) -> None:
    """No answer but 2xx, no socket error, every checker request answered."""
    assert run.report.requests > 2 * LOGGED_AROUND_CHANGE, run.report.output
    assert run.report.non_2xx == 0 and run.report.failures() == {}, run.report.output
    assert run.checker.failures == [], run.checker.failures


def re_released(seed: dict) -> dict:
    """The seed dump with every version changed: each changelog says it was re-released."""
    for node in seed["nodes"]:
        for version in node["versions"]:
            version["changelog"] = f"{version.get('changelog', '')} (re-released)"
    return seed


def test_import_while_serving_answers_every_request_old_or_new_whole(front, tmp_path):
    new_dump = write(tmp_path / "re-released.json", re_released(json.loads(SEED_DUMP.read_text())))

    def import_new_dump():
        """`flask mirror import` of the re-released dump, into the served database."""
        imported = flask("mirror", "import", str(new_dump), env=front.served.env)
        assert imported.returncode == 0, imported.stderr

    run = under_load(front, import_new_dump, tmp_path / "load")
    assert_nothing_failed(run)
    unchanged = [a["identifier"] for a, b in zip(run.after, run.before, strict=True) if a == b]
    assert unchanged == [], "the import changes every version"
    run.assert_each_answer_whole()


def test_graceful_reload_while_serving_fails_no_request(front, tmp_path):
    master = master_pid(front.folder)
    old_workers = worker_pids(master)

    def reload():
        """HUP the master; return once the old workers have all exited."""
        os.kill(master, signal.SIGHUP)
        wait_for_workers(master, WORKERS, gone=old_workers)

    run = under_load(front, reload, tmp_path / "load")
    assert_nothing_failed(run)
    assert run.after == run.before
    run.assert_each_answer_whole()


def test_new_master_taking_over_while_serving_fails_no_request(front, tmp_path):
    old = master_pid(front.folder)
    started: list[int] = []

    def take_over():
        """USR2 the master, then TERM it once the new master's workers are up."""
        os.kill(old, signal.SIGUSR2)
        started.append(wait_for_master(front.folder, PID_FILE + ".2"))
        wait_for_workers(started[0], WORKERS, gone=set())
        os.kill(old, signal.SIGTERM)
        wait_until_gone(old)

    try:
        run = under_load(front, take_over, tmp_path / "load")
        # The new master, on its own now, takes the pid file's name.
        assert wait_for_master(front.folder) == started[0]
    finally:
        for master in started:  # no longer a child of the test's: stopped here
            os.kill(master, signal.SIGTERM)
            wait_until_gone(master)
    assert_nothing_failed(run)
    assert run.after == run.before
    run.assert_each_answer_whole()


def test_worker_killed_while_serving_fails_only_the_answer_it_was_sending(front, tmp_path):
    master = master_pid(front.folder)
    victim = min(worker_pids(master))

    def crash():
        """SIGKILL one worker; return once gunicorn has replaced it."""
        os.kill(victim, signal.SIGKILL)
        wait_for_workers(master, WORKERS, gone={victim})

    run = under_load(front, crash, tmp_path / "load")
    # Requests the dead worker had not begun answering were sent again (nginx's
    # proxy_next_upstream): none got an error status, and no connection failed.
    assert run.report.non_2xx == 0, run.report.output + run.nginx_errors
    errors = run.report.socket_errors
    assert errors["connect"] == errors["write"] == errors["timeout"] == 0, run.report.output
    # An answer the worker was in the middle of sending is cut: nginx had begun relaying it and
    # cannot take it back. Those, and only those, reach clients, as short reads.
    cut = run.nginx_errors.count(CUT_ANSWER)
    short_reads = (http.client.IncompleteRead, http.client.RemoteDisconnected)
    assert all(isinstance(f, short_reads) for f in run.checker.failures), run.checker.failures
    assert errors["read"] + len(run.checker.failures) == cut, run.nginx_errors
    assert cut <= THREADS, run.nginx_errors
    assert run.after == run.before
    run.assert_each_answer_whole()


def test_db_upgrade_with_nothing_to_apply_while_serving_fails_no_request(front, tmp_path):
    def upgrade():
        """`flask db upgrade` on the served database, with nothing to apply."""
        upgraded = flask("db", "upgrade", env=front.served.env)
        assert upgraded.returncode == 0, upgraded.stderr
        assert "Running upgrade" not in upgraded.stderr, upgraded.stderr

    run = under_load(front, upgrade, tmp_path / "load")
    assert_nothing_failed(run)
    assert run.after == run.before
    run.assert_each_answer_whole()
