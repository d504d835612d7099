"""Following a module's top-level statements (through if/try/with blocks and loops over known
sequences) to learn what each name is bound to, imports resolved within the pack, lazily."""

import ast

from services.node_classes.definitions import Definitions
from services.node_classes.expressions import Expressions
from services.node_classes.limits import Deadline, NotIndexed, ScanLimits
from services.node_classes.modules import PackModules
from services.node_classes.values import (
    ClassRef,
    FunctionRef,
    ImportedName,
    Literal,
    Mapping,
    ModuleRef,
    Scope,
    Sequence,
)

# Statements between two looks at the clock.
CLOCK_EVERY = 1000


class Interpreter(Expressions, Definitions):
    """The pack's module scopes, each built once, from the statements that bind names."""

    def __init__(self, modules: PackModules, limits: ScanLimits, deadline: Deadline):
        self.modules, self.limits, self.deadline = modules, limits, deadline
        self.scopes: dict[str, Scope] = {}
        self.statements = 0
        # How many else / except blocks the statement being followed is inside.
        self.alternatives = 0

    def module_scope(self, key: str, depth: int) -> Scope:
        """The names the module binds; a partial scope while it is still being followed."""
        if key in self.scopes:
            return self.scopes[key]
        scope = Scope(key)
        if depth > self.limits.max_depth:
            return scope
        self.scopes[key] = scope
        tree = self.modules.tree(key)
        if tree is not None:
            self.run_body(tree.body, scope, depth + 1)
        return scope

    def module_named(self, text: str, scope: Scope) -> ModuleRef | None:
        """The pack module `import_module(text, __name__)` names."""
        if text.startswith("."):
            level = len(text) - len(text.lstrip("."))
            key = self.modules.relative(scope.module, level, text[level:] or None)
        else:
            key = self.modules.absolute(text)
        return ModuleRef(key, True) if key is not None and key in self.modules.paths else None

    def tick(self) -> None:
        """Count a statement: NotIndexed past the statement budget; the clock now and then."""
        self.statements += 1
        if self.statements > self.limits.max_statements:
            raise NotIndexed(
                f"following it took more than {self.limits.max_statements:,} statements"
            )
        if self.statements % CLOCK_EVERY == 0:
            self.deadline.check()

    def run_body(self, body: list[ast.stmt], scope: Scope, depth: int) -> None:
        """Follow a block's statements in order."""
        if depth > self.limits.max_depth:
            return
        for statement in body:
            self.tick()
            self.run_statement(statement, scope, depth)

    def run_statement(self, node: ast.stmt, scope: Scope, depth: int) -> None:
        """Follow one statement: definitions, imports, assignments, updates, blocks, loops."""
        if isinstance(node, ast.ClassDef):
            scope.names[node.name] = ClassRef(scope.module, node)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            scope.names[node.name] = FunctionRef(scope.module, node)
        elif isinstance(node, ast.Import):
            self.run_import(node, scope)
        elif isinstance(node, ast.ImportFrom):
            self.run_import_from(node, scope)
        elif isinstance(node, ast.Assign):
            value = self.evaluate(node.value, scope, depth)
            for target in node.targets:
                self.assign(target, value, scope, depth)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            self.assign(node.target, self.evaluate(node.value, scope, depth), scope, depth)
        elif isinstance(node, ast.AugAssign):
            self.run_augmented(node, scope, depth)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            self.run_update(node.value, scope, depth)
        elif isinstance(node, ast.For | ast.AsyncFor):
            self.run_loop(node, scope, depth)
        else:
            for block, alternative in blocks_of(node):
                self.alternatives += alternative
                self.run_body(block, scope, depth + 1)
                self.alternatives -= alternative

    def run_import(self, node: ast.Import, scope: Scope) -> None:
        """`import a.b` binds `a`; `import a.b as c` binds `c` to the pack module, if it is one."""
        for alias in node.names:
            if alias.asname:
                key = self.modules.absolute(alias.name)
                scope.names[alias.asname] = None if key is None else ModuleRef(key, True)
            else:
                first = alias.name.split(".", 1)[0]
                scope.names[first] = ModuleRef(first, False)

    def run_import_from(self, node: ast.ImportFrom, scope: Scope) -> None:
        """Bind imported names to the pack's modules or to names looked up in them when used."""
        if node.level:
            base = self.modules.relative(scope.module, node.level, node.module)
        else:
            base = self.modules.absolute(node.module or "")
        for alias in node.names:
            if alias.name == "*":
                if base is not None:
                    scope.stars.append(base)
                continue
            bound = alias.asname or alias.name
            if base is None:
                scope.names[bound] = None  # from outside the pack: unknown
                continue
            submodule = f"{base}.{alias.name}" if base else alias.name
            if submodule in self.modules.paths:
                scope.names[bound] = ModuleRef(submodule, True)
            else:
                scope.names[bound] = ImportedName(base, alias.name)

    def assign(self, target: ast.expr, value: object, scope: Scope, depth: int) -> None:
        """Bind a name, set a mapping's entry, or unpack a sequence."""
        if isinstance(target, ast.Name):
            old = scope.names.get(target.id)
            if self.alternatives and old is not None:
                # An else or except branch runs instead of another: it never loses what that
                # one bound (`except ImportError: MAPPINGS = {}` keeps the imported mappings).
                if value is None:
                    return
                if isinstance(old, Mapping) and isinstance(value, Mapping):
                    value = Mapping({**value.entries, **old.entries})
            scope.names[target.id] = value
        elif isinstance(target, ast.Subscript):
            container = self.evaluate(target.value, scope, depth)
            key = self.evaluate(target.slice, scope, depth)
            if (
                isinstance(container, Mapping)
                and isinstance(key, Literal)
                and isinstance(key.value, str)
            ):
                container.entries[key.value] = value
        elif isinstance(target, ast.Tuple | ast.List):
            items = value.items if isinstance(value, Sequence) else ()
            if len(items) != len(target.elts):
                items = (None,) * len(target.elts)
            for element, item in zip(target.elts, items, strict=True):
                self.assign(element, item, scope, depth)

    def run_augmented(self, node: ast.AugAssign, scope: Scope, depth: int) -> None:
        """`MAPPINGS |= {...}` and `NODES += [...]`."""
        current = self.evaluate(node.target, scope, depth)
        extra = self.evaluate(node.value, scope, depth)
        if isinstance(current, Mapping) and isinstance(extra, Mapping):
            current.entries.update(extra.entries)
        elif isinstance(current, Sequence) and isinstance(extra, Sequence):
            self.assign(node.target, Sequence(current.items + extra.items), scope, depth)

    def run_update(self, call: ast.Call, scope: Scope, depth: int) -> None:
        """`MAPPINGS.update(...)` and `NODES.extend(...)` / `.append(...)`."""
        if not isinstance(call.func, ast.Attribute):
            return
        method = call.func.attr
        if method == "update":
            target = self.evaluate(call.func.value, scope, depth)
            merged = self.call_dict(call, scope, depth)
            if isinstance(target, Mapping) and merged is not None:
                target.entries.update(merged.entries)
        elif method in ("extend", "append") and len(call.args) == 1:
            target = self.evaluate(call.func.value, scope, depth)
            added = self.evaluate(call.args[0], scope, depth)
            if isinstance(target, Sequence):
                if method == "append":
                    added = Sequence((added,))
                if isinstance(added, Sequence):
                    joined = Sequence(target.items + added.items)
                    self.assign(call.func.value, joined, scope, depth)

    def run_loop(self, node: ast.For | ast.AsyncFor, scope: Scope, depth: int) -> None:
        """Follow the body once per item of a known sequence (or a mapping's keys)."""
        items = self.evaluate(node.iter, scope, depth)
        if isinstance(items, Mapping):
            items = Sequence(tuple(Literal(key) for key in items.entries))
        if isinstance(items, Sequence):
            for item in items.items[: self.limits.max_loop_items]:
                self.assign(node.target, item, scope, depth)
                self.run_body(node.body, scope, depth + 1)
        self.run_body(node.orelse, scope, depth + 1)


def blocks_of(node: ast.stmt) -> list[tuple[list[ast.stmt], bool]]:
    """The blocks inside an if, try or with statement, each followed as any may run; True marks
    a block that runs instead of an earlier one (else, except)."""
    if isinstance(node, ast.If):
        return [(node.body, False), (node.orelse, True)]
    if isinstance(node, ast.Try | ast.TryStar):
        handlers = [(handler.body, True) for handler in node.handlers]
        return [(node.body, False), *handlers, (node.orelse, False), (node.finalbody, False)]
    if isinstance(node, ast.With | ast.AsyncWith):
        return [(node.body, False)]
    return []
