"""Reading an expression for what it stands for (a mapping, a class, a module...), never running
it: what cannot be read is unknown (None)."""

import ast

from services.node_classes.values import (
    ClassRef,
    ImportedName,
    Instance,
    Literal,
    Mapping,
    ModuleRef,
    SchemaCall,
    Scope,
    Sequence,
)

# Methods of a mapping that give its keys, values or pairs when iterated.
VIEWS = {"keys", "values", "items"}


class Expressions:
    """The expression half of the scanner's interpreter; the statement half subclasses it."""

    def module_scope(self, key: str, depth: int) -> Scope:
        """The names one pack module binds (defined by the statement half)."""
        raise NotImplementedError

    def module_named(self, text: str, scope: Scope) -> ModuleRef | None:
        """The pack module an import_module() argument names (defined by the statement half)."""
        raise NotImplementedError

    def evaluate(self, node: ast.expr | None, scope: Scope, depth: int) -> object:
        """What the expression stands for, or None."""
        if node is None or depth > self.limits.max_depth:
            return None
        reader = getattr(self, f"evaluate_{type(node).__name__}", None)
        return reader(node, scope, depth + 1) if reader else None

    def evaluate_Constant(self, node: ast.Constant, scope: Scope, depth: int) -> object:
        """A constant."""
        return Literal(node.value)

    def evaluate_Name(self, node: ast.Name, scope: Scope, depth: int) -> object:
        """What the name is bound to."""
        return self.lookup(scope, node.id, depth)

    def evaluate_Attribute(self, node: ast.Attribute, scope: Scope, depth: int) -> object:
        """A module's attribute (a submodule or one of its names)."""
        base = self.evaluate(node.value, scope, depth)
        return self.attribute(base, node.attr, depth) if isinstance(base, ModuleRef) else None

    def evaluate_Dict(self, node: ast.Dict, scope: Scope, depth: int) -> object:
        """A mapping of the literal string keys (`**other` merged in)."""
        mapping = Mapping()
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:
                merged = self.evaluate(value, scope, depth)
                if isinstance(merged, Mapping):
                    mapping.entries.update(merged.entries)
            elif isinstance(key, ast.Constant) and isinstance(key.value, str):
                mapping.entries[key.value] = self.evaluate(value, scope, depth)
        return mapping

    def evaluate_List(self, node: ast.List | ast.Tuple, scope: Scope, depth: int) -> object:
        """A sequence of the items (`*other` spread in)."""
        items = []
        for item in node.elts:
            if isinstance(item, ast.Starred):
                spread = self.evaluate(item.value, scope, depth)
                items.extend(spread.items if isinstance(spread, Sequence) else ())
            else:
                items.append(self.evaluate(item, scope, depth))
        return Sequence(tuple(items))

    evaluate_Tuple = evaluate_List

    def evaluate_BinOp(self, node: ast.BinOp, scope: Scope, depth: int) -> object:
        """`a | b` of mappings, `a + b` of sequences or strings."""
        left = self.evaluate(node.left, scope, depth)
        right = self.evaluate(node.right, scope, depth)
        if (
            isinstance(node.op, ast.BitOr)
            and isinstance(left, Mapping)
            and isinstance(right, Mapping)
        ):
            return Mapping({**left.entries, **right.entries})
        if isinstance(node.op, ast.Add) and type(left) is type(right):
            if isinstance(left, Sequence):
                return Sequence(left.items + right.items)
            if isinstance(left, Literal) and isinstance(left.value, str):
                return Literal(left.value + right.value) if isinstance(right.value, str) else None
        return None

    def evaluate_JoinedStr(self, node: ast.JoinedStr, scope: Scope, depth: int) -> object:
        """An f-string whose parts are all known strings."""
        parts = []
        for part in node.values:
            value = part if isinstance(part, ast.Constant) else None
            if isinstance(part, ast.FormattedValue) and part.format_spec is None:
                value = self.evaluate(part.value, scope, depth)
            if not isinstance(value, ast.Constant | Literal) or not isinstance(value.value, str):
                return None
            parts.append(value.value)
        return Literal("".join(parts))

    def evaluate_Subscript(self, node: ast.Subscript, scope: Scope, depth: int) -> object:
        """An entry of a mapping by a literal key."""
        container = self.evaluate(node.value, scope, depth)
        key = self.evaluate(node.slice, scope, depth)
        if isinstance(container, Mapping) and isinstance(key, Literal):
            return container.entries.get(key.value) if isinstance(key.value, str) else None
        return None

    def evaluate_Call(self, node: ast.Call, scope: Scope, depth: int) -> object:
        """dict(...), import_module(...), io.Schema(...), a pack class's instance, a view."""
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name == "Schema":
            return SchemaCall(node)
        if name == "import_module" and node.args:
            text = self.evaluate(node.args[0], scope, depth)
            if isinstance(text, Literal) and isinstance(text.value, str):
                return self.module_named(text.value, scope)
            return None
        if (
            isinstance(func, ast.Name)
            and func.id == "dict"
            and self.lookup(scope, "dict", depth) is None
        ):
            return self.call_dict(node, scope, depth)
        if isinstance(func, ast.Attribute):
            return self.call_method(func, node, scope, depth)
        called = self.evaluate(func, scope, depth)
        return Instance(called) if isinstance(called, ClassRef) else None

    def call_dict(self, node: ast.Call, scope: Scope, depth: int) -> Mapping | None:
        """`dict(other, name=Class)`."""
        mapping = Mapping()
        for argument in node.args:
            merged = self.evaluate(argument, scope, depth)
            if not isinstance(merged, Mapping):
                return None
            mapping.entries.update(merged.entries)
        for keyword in node.keywords:
            if keyword.arg is None:
                merged = self.evaluate(keyword.value, scope, depth)
                if not isinstance(merged, Mapping):
                    return None
                mapping.entries.update(merged.entries)
            else:
                mapping.entries[keyword.arg] = self.evaluate(keyword.value, scope, depth)
        return mapping

    def call_method(self, func: ast.Attribute, node: ast.Call, scope: Scope, depth: int) -> object:
        """A mapping's copy() or views, or a call of a module's class."""
        base = self.evaluate(func.value, scope, depth)
        if isinstance(base, Mapping) and not node.args:
            if func.attr == "copy":
                return Mapping(dict(base.entries))
            if func.attr in VIEWS:
                return view(base, func.attr)
        if isinstance(base, ModuleRef):
            called = self.attribute(base, func.attr, depth)
            return Instance(called) if isinstance(called, ClassRef) else None
        return None

    def lookup(self, scope: Scope, name: str, depth: int) -> object:
        """What a name is bound to in a scope, its star imports, then its parent scope."""
        while scope is not None and depth <= self.limits.max_depth:
            if name in scope.names:
                value = scope.names[name]
                if isinstance(value, ImportedName):
                    value = self.lookup(
                        self.module_scope(value.module, depth), value.name, depth + 1
                    )
                return value
            for star in reversed(scope.stars):
                found = self.lookup(self.module_scope(star, depth), name, depth + 1)
                if found is not None:
                    return found
            scope = scope.parent
        return None

    def attribute(self, module: ModuleRef, name: str, depth: int) -> object:
        """A submodule of a module, or a name it binds."""
        dotted = f"{module.name}.{name}" if module.name else name
        if module.exact:
            if dotted in self.modules.paths:
                return ModuleRef(dotted, True)
            return self.lookup(self.module_scope(module.name, depth), name, depth + 1)
        if (key := self.modules.absolute(dotted)) is not None:
            return ModuleRef(key, True)
        if (key := self.modules.absolute(module.name)) is not None:
            return self.lookup(self.module_scope(key, depth), name, depth + 1)
        return ModuleRef(dotted, False)


def view(mapping: Mapping, kind: str) -> Sequence:
    """A mapping's keys, values or (key, value) pairs as a sequence."""
    if kind == "keys":
        return Sequence(tuple(Literal(key) for key in mapping.entries))
    if kind == "values":
        return Sequence(tuple(mapping.entries.values()))
    return Sequence(tuple(Sequence((Literal(k), v)) for k, v in mapping.entries.items()))
