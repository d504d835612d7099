"""Following the pack's own classes and functions: base classes, class attributes, methods, and
what a call of a pack function returns (its arguments bound, its body followed, never run)."""

import ast
import string

from services.node_classes.values import ClassRef, FunctionRef, Literal, Scope, Sequence

# Scalar constants str.format() may be given here.
SCALARS = (str, int, float, bool)


class Definitions:
    """The class-and-function half of the scanner's interpreter."""

    def lineage(self, cls: ClassRef) -> list[ClassRef]:
        """The class and its pack base classes, nearest first (depth first, left to right)."""
        found, pending = [], [(cls, 0)]
        while pending and len(found) <= self.limits.max_depth:
            current, depth = pending.pop()
            if any(current is seen for seen in found):
                continue
            found.append(current)
            scope = self.module_scope(current.module, depth)
            bases = [self.evaluate(base, scope, depth) for base in current.node.bases]
            pending.extend((b, depth + 1) for b in reversed(bases) if isinstance(b, ClassRef))
        return found

    def class_attribute(self, cls: ClassRef, name: str, depth: int) -> object:
        """A class attribute (its own or inherited): a method, or the value assigned to it."""
        if name == "__name__":
            return Literal(cls.node.name)
        for ancestor in self.lineage(cls):
            for statement in reversed(ancestor.node.body):
                if bound_name(statement) == name:
                    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                        return FunctionRef(ancestor.module, statement)
                    scope = self.module_scope(ancestor.module, depth)
                    return self.evaluate(statement.value, scope, depth + 1)
        return None

    def call_function(self, function: FunctionRef, arguments: dict, depth: int) -> object:
        """What a pack function returns: its top-level statements followed up to a return."""
        if depth > self.limits.max_depth:
            return None
        module = self.module_scope(function.module, depth)
        scope = Scope(function.module, parent=module)
        parameters = function.node.args
        for parameter in [*parameters.posonlyargs, *parameters.args, *parameters.kwonlyargs]:
            scope.names[parameter.arg] = arguments.get(parameter.arg)
        for statement in function.node.body:
            self.tick()
            if isinstance(statement, ast.Return):
                return self.evaluate(statement.value, scope, depth + 1)
            self.run_statement(statement, scope, depth + 1)
        return None

    def call_arguments(self, function: FunctionRef, node: ast.Call, scope: Scope, depth: int):
        """The call's arguments by parameter name ('self' and 'cls' left unbound)."""
        parameters = [*function.node.args.posonlyargs, *function.node.args.args]
        names = [p.arg for p in parameters if p.arg not in ("self", "cls")]
        arguments = {}
        for name, argument in zip(names, node.args, strict=False):
            arguments[name] = self.evaluate(argument, scope, depth)
        for keyword in node.keywords:
            if keyword.arg is not None:
                arguments[keyword.arg] = self.evaluate(keyword.value, scope, depth)
        return arguments

    def format_text(self, template: str, node: ast.Call, scope: Scope, depth: int) -> object:
        """`"{} ({})".format(a, b)` with plain fields and scalar arguments, else None."""
        try:
            fields = list(string.Formatter().parse(template))
        except ValueError:
            return None
        for _, field, spec, conversion in fields:
            plain = field is None or field == "" or field.isdigit() or field.isidentifier()
            if not plain or spec or conversion:
                return None
        args = [self.evaluate(argument, scope, depth) for argument in node.args]
        kwargs = {k.arg: self.evaluate(k.value, scope, depth) for k in node.keywords}
        values = [*args, *kwargs.values()]
        if not all(isinstance(v, Literal) and isinstance(v.value, SCALARS) for v in values):
            return None
        try:
            return Literal(
                template.format(
                    *(a.value for a in args),
                    **{name: value.value for name, value in kwargs.items()},
                )
            )
        except (IndexError, KeyError, ValueError):
            return None


def bound_name(statement: ast.stmt) -> str | None:
    """The one name a class-body statement binds (an assignment or a method), or None."""
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
        return statement.name
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target = statement.targets[0]
        return target.id if isinstance(target, ast.Name) else None
    if isinstance(statement, ast.AnnAssign) and statement.value is not None:
        return statement.target.id if isinstance(statement.target, ast.Name) else None
    return None


def as_python(value: object, depth: int = 0) -> object:
    """A known value as plain Python (a constant, or a tuple of them), or None."""
    if isinstance(value, Literal):
        return value.value
    if isinstance(value, Sequence) and depth < 3:
        items = tuple(as_python(item, depth + 1) for item in value.items)
        return None if any(item is None for item in items) else items
    return None
