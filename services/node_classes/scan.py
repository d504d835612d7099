"""Scanning one archive: the node classes its pack registers, or why it is not indexed."""

from dataclasses import dataclass
from pathlib import Path

from services.node_classes.classes import NodeClassReader
from services.node_classes.limits import Deadline, NotIndexed, ScanLimits
from services.node_classes.modules import PackModules
from services.node_classes.namespaces import Interpreter
from services.node_classes.reading import read_pack_files
from services.node_classes.values import ClassRef, FunctionRef, Instance, Literal, Mapping, Sequence

CLASS_MAPPINGS = "NODE_CLASS_MAPPINGS"
DISPLAY_NAMES = "NODE_DISPLAY_NAME_MAPPINGS"
ENTRYPOINT = "comfy_entrypoint"


@dataclass(frozen=True)
class ScannedPack:
    """The node classes a pack registers (upstream ComfyNode keys), or why it is not indexed."""

    comfy_nodes: tuple[dict, ...] = ()
    problem: str | None = None
    # What was skipped on the way (a file too large, a syntax error...), one line each.
    notes: tuple[str, ...] = ()


def scan_archive(path: Path, limits: ScanLimits = ScanLimits()) -> ScannedPack:  # noqa: B008
    """The node classes the pack at `path` registers, read without running it; never raises."""
    notes: list[str] = []
    try:
        deadline = Deadline(limits.max_seconds)
        pack = read_pack_files(Path(path), limits, deadline)
        notes = pack.notes
        modules = PackModules(pack, limits, deadline)
        nodes = PackScan(modules, limits, deadline).comfy_nodes()
        if modules.parsed == 0 and modules.failed:
            raise NotIndexed(f"no .py file could be parsed ({notes[0]})")
    except NotIndexed as exc:
        return ScannedPack(problem=f"not indexed: {exc}", notes=tuple(notes))
    except (RecursionError, MemoryError):
        return ScannedPack(problem="not indexed: nested too deeply to follow", notes=tuple(notes))
    except Exception as exc:
        return ScannedPack(
            problem=f"not indexed: unreadable ({type(exc).__name__})", notes=tuple(notes)
        )
    return ScannedPack(comfy_nodes=nodes, notes=tuple(notes))


class PackScan:
    """One pack's registrations followed from its __init__.py (or, failing that, every module)."""

    def __init__(self, modules: PackModules, limits: ScanLimits, deadline: Deadline):
        self.modules, self.limits = modules, limits
        self.interpreter = Interpreter(modules, limits, deadline)
        self.reader = NodeClassReader(self.interpreter)
        self.found: dict[str, dict] = {}

    def comfy_nodes(self) -> tuple[dict, ...]:
        """The pack's node classes, sorted by name."""
        if self.modules.has_root():
            self.add_module("")
        if not self.found:
            # Registrations built at run time (a folder listed, modules imported by name) leave
            # the root empty: then every module that names the mappings or the entry point.
            for key, path in sorted(self.modules.paths.items()):
                source = self.modules.pack.sources[path]
                if CLASS_MAPPINGS.encode() in source or ENTRYPOINT.encode() in source:
                    self.add_module(key)
        return tuple(self.found[name] for name in sorted(self.found))

    def add_module(self, key: str) -> None:
        """The classes one module registers, by its mappings and its entry point."""
        scope = self.interpreter.module_scope(key, 0)
        mappings = self.interpreter.lookup(scope, CLASS_MAPPINGS, 0)
        names = self.interpreter.lookup(scope, DISPLAY_NAMES, 0)
        names = names.entries if isinstance(names, Mapping) else {}
        if isinstance(mappings, Mapping):
            for name, value in mappings.entries.items():
                self.add(name, value, names.get(name))
        for cls in self.entrypoint_classes(self.interpreter.lookup(scope, ENTRYPOINT, 0)):
            fields = self.reader.fields(cls)
            if "comfy_node_name" in fields:
                self.add(fields["comfy_node_name"], cls, names.get(fields["comfy_node_name"]))

    def entrypoint_classes(self, entrypoint: object) -> list[ClassRef]:
        """The classes the extension `comfy_entrypoint()` returns lists in get_node_list()."""
        if not isinstance(entrypoint, FunctionRef):
            return []
        extension = self.reader.result(entrypoint)
        if not isinstance(extension, Instance):
            return []
        listed = self.reader.method_result(extension.cls, "get_node_list")
        items = listed.items if isinstance(listed, Sequence) else ()
        return [item for item in items if isinstance(item, ClassRef)]

    def add(self, name: str, value: object, display_name: object) -> None:
        """Record one node class under its registered name (the first registration wins)."""
        if not name or len(name) > self.limits.max_node_name_chars or name in self.found:
            return
        if len(self.found) >= self.limits.max_comfy_nodes:
            raise NotIndexed(f"it registers more than {self.limits.max_comfy_nodes:,} node classes")
        fields = self.reader.fields(value) if isinstance(value, ClassRef) else {}
        fields.pop("comfy_node_name", None)  # the registered name wins over a schema's node_id
        fields = {"comfy_node_name": name, **fields}
        if isinstance(display_name, Literal) and isinstance(display_name.value, str):
            fields["display_name"] = display_name.value
        self.found[name] = fields
