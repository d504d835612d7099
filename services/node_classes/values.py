"""What the scanner knows a name stands for, without running anything: pack classes, modules,
mappings of node names, lists and literals. Anything else is unknown (None)."""

import ast
from dataclasses import dataclass, field


@dataclass(eq=False)
class Scope:
    """Names bound in one module (or one function body over its module), and its star imports."""

    module: str
    names: dict[str, object] = field(default_factory=dict)
    stars: list[str] = field(default_factory=list)
    parent: "Scope | None" = None


@dataclass(frozen=True, eq=False)
class ClassRef:
    """A class defined in one of the pack's modules."""

    module: str
    node: ast.ClassDef


@dataclass(frozen=True, eq=False)
class FunctionRef:
    """A function defined in one of the pack's modules."""

    module: str
    node: ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class ModuleRef:
    """A module: one of the pack's (`exact`), or a dotted name as an absolute import wrote it."""

    name: str
    exact: bool


@dataclass(frozen=True)
class ImportedName:
    """A name imported from one of the pack's modules, looked up only when used."""

    module: str
    name: str


@dataclass(eq=False)
class Mapping:
    """A dict with literal string keys, such as NODE_CLASS_MAPPINGS; values may be unknown."""

    entries: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class Sequence:
    """A list or tuple whose items are known values (or unknown ones)."""

    items: tuple


@dataclass(frozen=True)
class Literal:
    """A constant: a string, a number, a boolean."""

    value: object


@dataclass(frozen=True, eq=False)
class Instance:
    """An instance of a pack class, as `comfy_entrypoint()` returns its extension."""

    cls: ClassRef


@dataclass(frozen=True, eq=False)
class SchemaCall:
    """A call to `io.Schema(...)`, read by its literal keywords."""

    call: ast.Call
