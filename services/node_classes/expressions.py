"""Reading an expression for what it stands for (a mapping, a class, a module...), never running
it: what cannot be read is unknown (None)."""

import ast

from services.node_classes.values import (
    ClassRef,
    FunctionRef,
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
        """A module's submodule or name, or a class's attribute."""
        return self.attribute_of(self.evaluate(node.value, scope, depth), node.attr, depth)

    def attribute_of(self, base: object, name: str, depth: int) -> object:
        """An attribute of a module or of a pack class, else unknown."""
        if isinstance(base, ModuleRef):
            return self.attribute(base, name, depth)
        if isinstance(base, ClassRef):
            return self.class_attribute(base, name, depth)
        return None

    def evaluate_Dict(self, node: ast.Dict, scope: Scope, depth: int) -> object:
        """A mapping of the literal string keys (`**other` merged in)."""
        mapping = Mapping()
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:
                merged = self.evaluate(value, scope, depth)
                if isinstance(merged, Mapping):
                    mapping.entries.update(merged.entries)
            else:
                text = self.evaluate(key, scope, depth)
                if isinstance(text, Literal) and isinstance(text.value, str):
                    mapping.entries[text.value] = self.evaluate(value, scope, depth)
        return mapping

    def evaluate_List(self, node: ast.List | ast.Tuple, scope: Scope, depth: int) -> object:
        """A sequence of the items (`*other` spread in)."""
        items = []
        for item in node.elts:
            if isinstance(item, ast.Starred):
                spread = self.evaluate(item.value, scope, depth)
                if not isinstance(spread, Sequence):
                    return None  # an unknown spread: the sequence's length is unknown too
                items.extend(spread.items)
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
            base = self.evaluate(func.value, scope, depth)
            return self.call_method(base, func.attr, node, scope, depth)
        return self.call_value(self.evaluate(func, scope, depth), node, scope, depth)

    def call_value(self, called: object, node: ast.Call, scope: Scope, depth: int) -> object:
        """A pack class's instance, or what a pack function returns."""
        if isinstance(called, ClassRef):
            return Instance(called)
        if isinstance(called, FunctionRef):
            arguments = self.call_arguments(called, node, scope, depth)
            return self.call_function(called, arguments, depth + 1)
        return None

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

    def call_method(
        self, base: object, name: str, node: ast.Call, scope: Scope, depth: int
    ) -> object:
        """A mapping's copy(), get() or views, a string's format(), a module or class callable."""
        if isinstance(base, Mapping):
            if name == "get" and node.args:
                key = self.evaluate(node.args[0], scope, depth)
                default = node.args[1] if len(node.args) > 1 else None
                if isinstance(key, Literal) and key.value in base.entries:
                    return base.entries[key.value]
                return self.evaluate(default, scope, depth)
            if name == "copy" and not node.args:
                return Mapping(dict(base.entries))
            return view(base, name) if name in VIEWS and not node.args else None
        if isinstance(base, Literal) and isinstance(base.value, str) and name == "format":
            return self.format_text(base.value, node, scope, depth)
        called = self.attribute_of(base, name, depth)
        return self.call_value(called, node, scope, depth)

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
