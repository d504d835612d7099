"""Steady load from wrk, bounded in time, on a served mirror, and what wrk saw of it: requests a
second, latency percentiles, every answer that was not 2xx (by status) and every socket error,
read from wrk's own summary. tests/load.lua says which requests each connection sends."""

import json
import os
import re
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().with_name("load.lua")
# What wrk identifies itself as (tests/load.lua), so a proxy's access log can count its requests.
USER_AGENT = "wrk-load"
BULK_PATH = "/bulk/nodes/versions"
# A request slower than this counts as a timeout: far above any answer on a loaded machine, so
# that a timeout means a request that was lost, not one that was slow.
TIMEOUT = "30s"
SOCKET_ERRORS = ("connect", "read", "write", "timeout")
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def wrk_binary() -> str:
    """The wrk binary; skips the test when there is none, except under CI, which must have it."""
    found = shutil.which("wrk") or ("/usr/bin/wrk" if os.path.exists("/usr/bin/wrk") else None)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("wrk is not installed; .ci/run installs it")
        pytest.skip("wrk is not installed (apt-get install wrk)")
    return found


def bulk_body(pairs) -> dict:
    """The body of a bulk request for these (node id, version) pairs."""
    return {"node_versions": [{"node_id": node_id, "version": v} for node_id, v in pairs]}


@dataclass(frozen=True)
class LoadReport:
    """What one wrk run did and saw."""

    requests: int
    requests_per_second: float
    latency_ms: dict[str, float]
    non_2xx: int
    refused: dict[int, int]
    socket_errors: dict[str, int]
    output: str

    def failures(self) -> dict[str, int]:
        """Every answer that was not 2xx and every socket error, by kind; empty when none."""
        counted = {f"status {status}": count for status, count in self.refused.items()}
        counted.update({kind: n for kind, n in self.socket_errors.items() if n})
        return counted


def parse_report(output: str) -> LoadReport:
    """Read wrk's summary (and tests/load.lua's lines) into a LoadReport."""
    requests = re.search(r"^\s*(\d+) requests in ", output, re.M)
    rate = re.search(r"^Requests/sec:\s*([\d.]+)", output, re.M)
    if requests is None or rate is None:
        raise AssertionError(f"wrk printed no summary:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(
        r"Socket errors: " + r", ".join(rf"{k} (\d+)" for k in SOCKET_ERRORS), output
    )
    latency = {
        percent: float(value) * _UNITS_MS[unit]
        for percent, value, unit in re.findall(r"^\s+(\d+%)\s+([\d.]+)(us|ms|s|m)$", output, re.M)
    }
    return LoadReport(
        requests=int(requests[1]),
        requests_per_second=float(rate[1]),
        latency_ms=latency,
        non_2xx=int(non_2xx[1]) if non_2xx else 0,
        refused={
            int(s): int(n) for s, n in re.findall(r"^refused status (\d+): (\d+)$", output, re.M)
        },
        socket_errors=dict(zip(SOCKET_ERRORS, map(int, errors.groups()), strict=True))
        if errors
        else dict.fromkeys(SOCKET_ERRORS, 0),
        output=output,
    )


class Load:
    """wrk sending `requests` to `url` for `seconds` at most (started at once): report() waits
    for it to end, finish() ends it first (wrk prints its summary on SIGINT as at its end).

    Each request is ("bulk", body) for a bulk POST of that JSON body, or ("get", path).
    """

    def __init__(
        self,
        url: str,
        requests: list[tuple[str, object]],
        seconds: int,
        workdir: Path,
        connections: int = 8,
        threads: int = 2,
    ):
        workdir.mkdir(parents=True, exist_ok=True)
        arguments = []
        for index, (kind, value) in enumerate(requests):
            if kind == "bulk":
                value = workdir / f"bulk-{index}.json"
                value.write_text(json.dumps(requests[index][1]))
            arguments += [kind, str(value)]
        command = [wrk_binary(), f"-t{threads}", f"-c{connections}", f"-d{int(seconds)}s"]
        command += ["--latency", "--timeout", TIMEOUT, "-s", str(SCRIPT), url, "--", *arguments]
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.seconds = seconds

    def running(self) -> bool:
        """Whether wrk is still sending."""
        return self.process.poll() is None

    def finish(self) -> LoadReport:
        """End wrk now, as Ctrl-C would; what it saw until then."""
        if self.running():
            self.process.send_signal(signal.SIGINT)
        return self.report()

    def report(self) -> LoadReport:
        """Wait for wrk to end (its duration, plus a margin); what it saw."""
        try:
            output, _ = self.process.communicate(timeout=self.seconds + 60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            output, _ = self.process.communicate()
            raise AssertionError(f"wrk did not end:\n{output}") from None
        assert self.process.returncode == 0, output
        return parse_report(output)

    def stop(self) -> None:
        """End wrk if it still runs (after a failed test)."""
        if self.running():
            self.process.kill()
            self.process.wait()


def logged_load_requests(access_log: Path) -> int:
    """How many of wrk's requests a proxy's access log (nginx's `combined`) holds."""
    if not access_log.exists():
        return 0
    return access_log.read_bytes().count(f'"{USER_AGENT}"'.encode())
