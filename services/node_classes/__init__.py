"""The ComfyUI node classes a pack registers, read from its archive without running anything.

Owns: reading a zip or tar.gz's .py members within bounds (members, zip_members, tar_members,
reading, sources), following the pack's registrations through its modules (modules, values,
expressions, namespaces), and reading each class's literal attributes (classes). Pure functions
over a file path: no Flask, no database. `pool.scan_archives` scans many archives on a pool of
fresh processes (worker), each bounded in memory and time.
"""

from services.node_classes.limits import ScanLimits
from services.node_classes.scan import ScannedPack, scan_archive

__all__ = ["ScanLimits", "ScannedPack", "scan_archive"]
