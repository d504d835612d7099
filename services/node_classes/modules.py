"""The pack's modules: their dotted names from member paths, imports resolved among them, and
each parsed once, within the parse budget."""

import ast
import posixpath

from services.node_classes.limits import Deadline, ScanLimits
from services.node_classes.members import PackFiles
from services.node_classes.sources import SkippedFile, parse_source

INIT = "__init__.py"
# What absolute imports of a pack's own modules may begin with besides the module path itself.
CUSTOM_NODES = "custom_nodes."


def pack_root(paths: list[str]) -> str:
    """The folder ComfyUI would load: the archive's root, or its one top-level folder."""
    if INIT in paths or any("/" not in path for path in paths):
        return ""
    tops = {path.split("/", 1)[0] for path in paths}
    return f"{tops.pop()}/" if len(tops) == 1 else ""


def module_key(relative: str) -> str:
    """The module's dotted name inside the pack ('' for the pack's own __init__.py)."""
    stem = relative.removesuffix(".py")
    if stem == "__init__" or stem.endswith("/__init__"):
        stem = posixpath.dirname(stem)
    return stem.replace("/", ".")


def parent_of(key: str) -> str:
    """The package holding a module ('' for one at the pack's root)."""
    return key.rpartition(".")[0]


class PackModules:
    """The pack's modules by dotted name, parsed on demand and at most once."""

    def __init__(self, pack: PackFiles, limits: ScanLimits, deadline: Deadline):
        self.pack, self.limits, self.deadline = pack, limits, deadline
        root = pack_root(sorted(pack.sources))
        self.top_name = root.rstrip("/")
        # Sorted, so that a package (a/__init__.py) wins over a module of its name (a.py).
        self.paths = {
            module_key(path[len(root) :]): path
            for path in sorted(pack.sources)
            if path.startswith(root)
        }
        self.trees: dict[str, ast.Module | None] = {}
        self.parsed_bytes = 0
        self.parsed = self.failed = 0
        self._suffixes: dict[str, list[str]] | None = None

    def has_root(self) -> bool:
        """Whether the pack has the __init__.py ComfyUI loads."""
        return "" in self.paths and self.paths[""].endswith(INIT)

    def is_package(self, key: str) -> bool:
        """Whether the module is a package (an __init__.py)."""
        return self.paths.get(key, "").endswith(INIT)

    def relative(self, current: str, level: int, module: str | None) -> str | None:
        """The module a relative import in `current` names, or None above the pack's root."""
        package = current if self.is_package(current) else parent_of(current)
        for _ in range(level - 1):
            if not package:
                return None
            package = parent_of(package)
        if not module:
            return package
        return f"{package}.{module}" if package else module

    def absolute(self, dotted: str) -> str | None:
        """The pack module an absolute import names: by its path, or by the end of it."""
        names = [dotted]
        if dotted.startswith(CUSTOM_NODES):  # custom_nodes.<pack folder>.<module>
            names.append(dotted[len(CUSTOM_NODES) :].partition(".")[2])
        if self.top_name and dotted.startswith(f"{self.top_name}."):
            names.append(dotted[len(self.top_name) + 1 :])
        for name in names:
            if name in self.paths:
                return name
        for name in names:
            if matches := self.suffixes().get(name):
                return min(matches, key=lambda key: (len(key), key))
        return None

    def suffixes(self) -> dict[str, list[str]]:
        """Every dotted tail of every module name, to the modules ending with it."""
        if self._suffixes is None:
            self._suffixes = {}
            for key in self.paths:
                parts = key.split(".")
                for start in range(1, len(parts)):
                    self._suffixes.setdefault(".".join(parts[start:]), []).append(key)
        return self._suffixes

    def tree(self, key: str) -> ast.Module | None:
        """The module's syntax tree, or None if it is not in the pack or could not be parsed."""
        if key in self.trees:
            return self.trees[key]
        self.trees[key] = None
        path = self.paths.get(key)
        if path is None:
            return None
        self.deadline.check()
        data = self.pack.sources[path]
        if self.parsed_bytes + len(data) > self.limits.max_parsed_bytes:
            self.pack.notes.append(
                f"{path}: not parsed: past {self.limits.max_parsed_bytes:,} bytes"
            )
            return None
        self.parsed_bytes += len(data)
        try:
            self.trees[key] = parse_source(data, self.limits)
            self.parsed += 1
        except SkippedFile as exc:
            self.pack.notes.append(f"{path}: skipped: {exc}")
            self.failed += 1
        return self.trees[key]
