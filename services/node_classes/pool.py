"""Scanning many archives at once: a few processes, each archive's scan bounded in time and memory.

Parsing holds the GIL, so archives are scanned in processes, one per core (at most
MAX_WORKERS): fresh interpreters running `worker.py`, which share nothing with the caller (no
database connection, lock or thread) and never re-run its main module. Each has its address
space capped at `ScanLimits.max_memory_bytes`; a scan still running well past
`ScanLimits.max_seconds` (a read that never returns) is stopped by ending its process, and a
process that dies costs only the archive it was reading: both are "not indexed", and a new
process takes the next archive.
"""

import contextlib
import json
import os
import subprocess
import sys
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict
from multiprocessing.connection import wait
from pathlib import Path

from services.node_classes.limits import DEFAULT_SCAN_LIMITS, ScanLimits
from services.node_classes.scan import ScannedPack
from services.progress import Step

# Processes at most, however many cores: each may use up to max_memory_bytes.
MAX_WORKERS = 8
# The folder `services` is in, for the worker processes' imports.
PROJECT_ROOT = str(Path(__file__).resolve().parents[2])
# Seconds a new process has to start and say it is ready.
START_SECONDS = 60


class ScannerFailed(RuntimeError):
    """A scanning process could not even start: no archive can be read this way."""


def worker_count(archives: int) -> int:
    """Processes for this many archives: one per core the mirror may use, within the bounds."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cores or 1, MAX_WORKERS, archives))


def stop_after(limits: ScanLimits) -> float:
    """Seconds after which a scan is stopped by force: its own deadline is checked only between
    files, so it gets half as long again (and a second) to notice it first."""
    return limits.max_seconds * 1.5 + 1


def scan_archives(
    paths: Iterable[str],
    limits: ScanLimits = DEFAULT_SCAN_LIMITS,
    step: Step | None = None,
) -> dict[str, ScannedPack]:
    """Each archive's scan, by path, read on a pool of processes; never fails for an archive."""
    queue = deque(dict.fromkeys(os.path.abspath(path) for path in paths))
    results: dict[str, ScannedPack] = {}
    if not queue:
        return results
    scanners = [Scanner(limits) for _ in range(worker_count(len(queue)))]
    try:
        while queue or any(scanner.path for scanner in scanners):
            for scanner in scanners:
                if scanner.path is None and queue:
                    scanner.start(queue.popleft())
            for path, pack in finished(scanners):
                results[path] = pack
                if step is not None:
                    step(1)
    finally:
        for scanner in scanners:
            scanner.stop()
    return results


def finished(scanners: list["Scanner"]) -> list[tuple[str, ScannedPack]]:
    """Wait for scans to end (or overrun); return each ended scan's path and result."""
    busy = [scanner for scanner in scanners if scanner.path is not None]
    timeout = max(0.0, min(scanner.deadline for scanner in busy) - time.monotonic())
    ready = wait([scanner.process.stdout for scanner in busy], timeout)
    done = []
    for scanner in busy:
        if scanner.process.stdout in ready:
            done.append(scanner.result())
        elif time.monotonic() >= scanner.deadline:
            done.append(scanner.overran())
    return done


class Scanner:
    """One scanning process and the archive it is reading, if any."""

    def __init__(self, limits: ScanLimits):
        """Start a scanning process with these bounds (it says when it is ready)."""
        self.limits = limits
        self.path: str | None = None
        self.deadline = 0.0
        self.ready = False
        python_path = os.pathsep.join(filter(None, [PROJECT_ROOT, os.environ.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "services.node_classes.worker", json.dumps(asdict(limits))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": python_path},
        )

    def start(self, path: str) -> None:
        """Hand the process an archive to read (once it has said it is ready)."""
        if not self.ready:
            ready = wait([self.process.stdout], START_SECONDS)
            if not ready or self.process.stdout.readline() != b"ready\n":
                raise ScannerFailed(f"a node-class scanning process did not start ({self.stop()})")
            self.ready = True
        self.path = path
        self.deadline = time.monotonic() + stop_after(self.limits)
        try:
            self.process.stdin.write(json.dumps(path).encode() + b"\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            pass  # the process died: its end of output says so, and result() tells it

    def result(self) -> tuple[str, ScannedPack]:
        """The finished scan; if the process died instead, say so and start a new one."""
        path, self.path = self.path, None
        line = self.process.stdout.readline()
        if not line.endswith(b"\n"):
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=5)  # its exit code, rather than our kill's
            return path, ScannedPack(problem=f"not indexed: {self.restart()} while reading it")
        found = json.loads(line)
        return path, ScannedPack(
            tuple(found["comfy_nodes"]), found["problem"], tuple(found["notes"])
        )

    def overran(self) -> tuple[str, ScannedPack]:
        """A scan past its time: end its process, start a new one."""
        path, self.path = self.path, None
        self.restart()
        seconds = self.limits.max_seconds
        return path, ScannedPack(problem=f"not indexed: reading it took longer than {seconds:g} s")

    def restart(self) -> str:
        """Replace this scanner's process by a new one; say what ended the old one."""
        death = self.stop()
        self.__init__(self.limits)
        return death

    def stop(self) -> str:
        """End the process (it holds nothing worth a clean exit); say what ended it."""
        self.process.kill()
        code = self.process.wait()
        self.process.stdin.close()
        self.process.stdout.close()
        if code < 0:
            return f"its scanning process was killed (signal {-code}; out of memory?)"
        return f"its scanning process ended (exit code {code})"
