"""What a node class says about itself in literals: its class attributes (inherited from the
pack's own classes) and, for the newer API, the keywords of the io.Schema its define_schema()
returns."""

import ast
import json

from services.node_classes.definitions import as_python
from services.node_classes.namespaces import Interpreter
from services.node_classes.values import ClassRef, FunctionRef, SchemaCall

# Upstream's io types by their class name in comfy_api's io module, for the outputs of
# io.Schema; an output of any other type leaves return_types out.
IO_TYPES = {
    "Boolean": "BOOLEAN",
    "Int": "INT",
    "Float": "FLOAT",
    "String": "STRING",
    "Combo": "COMBO",
    "Image": "IMAGE",
    "Mask": "MASK",
    "Latent": "LATENT",
    "Conditioning": "CONDITIONING",
    "Sampler": "SAMPLER",
    "Sigmas": "SIGMAS",
    "Noise": "NOISE",
    "Guider": "GUIDER",
    "Clip": "CLIP",
    "ControlNet": "CONTROL_NET",
    "Vae": "VAE",
    "Model": "MODEL",
}


def is_text(value: object) -> bool:
    """A string."""
    return isinstance(value, str)


def is_flag(value: object) -> bool:
    """A boolean."""
    return isinstance(value, bool)


def is_type_list(value: object) -> bool:
    """A list or tuple of type names (a combo output is itself a list of strings)."""
    return isinstance(value, list | tuple) and all(
        is_text(item) or (isinstance(item, list | tuple) and all(map(is_text, item)))
        for item in value
    )


def is_flag_list(value: object) -> bool:
    """A list or tuple of booleans."""
    return isinstance(value, list | tuple) and all(map(is_flag, value))


def as_json(value) -> str:
    """A list as upstream stores it: a JSON string."""
    return json.dumps([list(item) if isinstance(item, tuple) else item for item in value])


# Class attribute: (ComfyNode key, test of the literal, how it is stored).
CLASS_FIELDS = {
    "CATEGORY": ("category", is_text, str),
    "FUNCTION": ("function", is_text, str),
    "RETURN_TYPES": ("return_types", is_type_list, as_json),
    "RETURN_NAMES": ("return_names", lambda v: is_type_list(v) and all(map(is_text, v)), as_json),
    "OUTPUT_IS_LIST": ("output_is_list", is_flag_list, list),
    "DEPRECATED": ("deprecated", is_flag, bool),
    "EXPERIMENTAL": ("experimental", is_flag, bool),
    "DESCRIPTION": ("description", is_text, str),
}
# io.Schema keyword: (ComfyNode key, test of the literal).
SCHEMA_FIELDS = {
    "display_name": ("display_name", is_text),
    "category": ("category", is_text),
    "description": ("description", is_text),
    "is_deprecated": ("deprecated", is_flag),
    "is_experimental": ("experimental", is_flag),
}


def literal(node: ast.expr | None) -> object:
    """The literal value of an expression, or None if it is not one (or too deep to read)."""
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return None


def assigned_attributes(node: ast.ClassDef) -> dict[str, ast.expr]:
    """The class body's `NAME = value` assignments, the last one winning."""
    assigned = {}
    for statement in node.body:
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    assigned[target.id] = statement.value
        elif (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and statement.value is not None
        ):
            assigned[statement.target.id] = statement.value
    return assigned


class NodeClassReader:
    """Reads node classes found in a pack, through the pack's interpreter."""

    def __init__(self, interpreter: Interpreter):
        self.interpreter = interpreter

    def value(self, node: ast.expr, module: str) -> object:
        """An expression's value as plain Python: a literal, or what the pack's names give."""
        read = literal(node)
        if read is None:
            scope = self.interpreter.module_scope(module, 0)
            read = as_python(self.interpreter.evaluate(node, scope, 1))
        return read

    def fields(self, cls: ClassRef) -> dict:
        """The ComfyNode fields the class's attributes and schema give, where they are known."""
        found = {}
        for ancestor in reversed(self.interpreter.lineage(cls)):
            for name, node in assigned_attributes(ancestor.node).items():
                if name in CLASS_FIELDS:
                    key, test, store = CLASS_FIELDS[name]
                    read = self.value(node, ancestor.module)
                    if test(read):
                        found[key] = store(read)
        schema = self.schema(cls)
        if schema is not None:
            found.update(self.schema_fields(schema.call, cls.module))
        return found

    def result(self, function: object) -> object:
        """What a pack function (called without arguments) returns, if it can be read."""
        if not isinstance(function, FunctionRef):
            return None
        return self.interpreter.call_function(function, {}, 1)

    def method_result(self, cls: ClassRef, name: str) -> object:
        """What a class's own or inherited method returns, if it can be read."""
        return self.result(self.interpreter.class_attribute(cls, name, 1))

    def schema(self, cls: ClassRef) -> SchemaCall | None:
        """The io.Schema call the class's define_schema() returns, if it reads as one."""
        schema = self.method_result(cls, "define_schema")
        return schema if isinstance(schema, SchemaCall) else None

    def schema_fields(self, call: ast.Call, module: str) -> dict:
        """The ComfyNode fields an io.Schema call's known keywords give (node_id included)."""
        found = {}
        for keyword in call.keywords:
            if keyword.arg == "outputs" and isinstance(keyword.value, ast.List | ast.Tuple):
                found.update(output_fields(keyword.value.elts))
                continue
            value = self.value(keyword.value, module)
            if keyword.arg == "node_id" and is_text(value):
                found["comfy_node_name"] = value
            elif keyword.arg in SCHEMA_FIELDS and SCHEMA_FIELDS[keyword.arg][1](value):
                found[SCHEMA_FIELDS[keyword.arg][0]] = value
        return found


def output_fields(outputs: list[ast.expr]) -> dict:
    """return_types (when every output's type is known) and output_is_list from io outputs."""
    types, is_list = [], []
    for output in outputs:
        func = output.func if isinstance(output, ast.Call) else None
        if not isinstance(func, ast.Attribute) or func.attr != "Output":
            return {}
        flag = next((literal(k.value) for k in output.keywords if k.arg == "is_output_list"), False)
        if not is_flag(flag):
            return {}
        is_list.append(flag)
        types.append(io_type(func.value))
    found = {"output_is_list": is_list}
    if all(types):
        found["return_types"] = json.dumps(types)
    return found


def io_type(node: ast.expr) -> str | None:
    """The io type of `io.Image` (by the table above) or `io.Custom("X")`, else None."""
    if isinstance(node, ast.Attribute | ast.Name):
        return IO_TYPES.get(node.attr if isinstance(node, ast.Attribute) else node.id)
    if (
        isinstance(node, ast.Call)
        and getattr(node.func, "attr", getattr(node.func, "id", "")) == "Custom"
    ):
        value = literal(node.args[0]) if len(node.args) == 1 else None
        return value if is_text(value) else None
    return None
