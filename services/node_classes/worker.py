"""A scanning process of pool.py: archive paths in on stdin, their scans out on stdout, one
JSON line each, until stdin ends. Run as `python -m services.node_classes.worker LIMITS_JSON`."""

import json
import resource
import sys
from dataclasses import asdict
from pathlib import Path

from services.node_classes.limits import ScanLimits
from services.node_classes.scan import scan_archive


def main() -> None:
    """Cap this process's memory, say it is ready, then scan each archive named on stdin."""
    limits = ScanLimits(**json.loads(sys.argv[1]))
    resource.setrlimit(resource.RLIMIT_AS, (limits.max_memory_bytes, limits.max_memory_bytes))
    out = sys.stdout.buffer
    out.write(b"ready\n")
    out.flush()
    for line in sys.stdin.buffer:
        pack = scan_archive(Path(json.loads(line)), limits)
        out.write(json.dumps(asdict(pack)).encode() + b"\n")
        out.flush()


if __name__ == "__main__":
    main()
