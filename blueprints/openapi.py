"""The OpenAPI document, generated from the same marshmallow schemas the views use."""

import enum
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from marshmallow import fields

from blueprints.limits import QUERY_TOO_LONG
from version import __version__

OPENAPI_VERSION = "3.0.2"
_VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")

# Every path variable the routes use, described once; names are upstream's where it has the path.
PATH_VARIABLES = {
    "nodeId": "The node's id, in any case.",
    "node_id": "The node's id, in any case.",
    "versionId": "The version of the node. (Not a UUID).",
    "version": "The version string",
    "publisherId": "The publisher's id (exact case).",
    "comfyNodeName": "The name of the ComfyUI node",
}


def _schema_name(schema) -> str:
    """Name components as upstream does: NodeVersionSchema -> NodeVersion."""
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__
    return name.removesuffix("Schema") or name


def _enum_component(spec: APISpec):
    """An apispec attribute function that turns each enum field into a $ref to a named component."""

    def enum_to_ref(converter, field, ret=None, **kwargs):
        if not isinstance(field, fields.Enum):
            return {}
        enum_class: type[enum.Enum] = field.enum
        name = enum_class.__name__
        if name not in spec.components.schemas:
            spec.components.schema(
                name, {"enum": [member.value for member in enum_class], "type": "string"}
            )
        ret.clear()
        return {"$ref": f"#/components/schemas/{name}"}

    return enum_to_ref


def build_spec(app: Flask) -> APISpec:
    """Describe every route the app serves, from the operations its views declare."""
    plugin = MarshmallowPlugin(schema_name_resolver=_schema_name)
    spec = APISpec(
        title="Comfy Registry Mirror",
        version=__version__,
        openapi_version=OPENAPI_VERSION,
        plugins=[plugin],
        info={"description": "An offline mirror of the Comfy Registry API."},
    )
    plugin.converter.add_attribute_function(_enum_component(spec))
    spec.components.response("QueryTooLong", QUERY_TOO_LONG)
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        view = app.view_functions.get(rule.endpoint)
        operation = getattr(view, "openapi_operation", None)
        if operation:
            operation = _with_path_parameters(operation, _VARIABLE.findall(rule.rule))
            # Flask adds HEAD and OPTIONS to every route by itself; they are not documented.
            methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
            operations = {method.lower(): operation for method in methods}
            spec.path(
                path=_VARIABLE.sub(r"{\1}", rule.rule), operations=_with_query_limit(operations)
            )
    return spec


def _with_path_parameters(operation: dict, variables: list[str]) -> dict:
    """The operation with its route's variables first among its parameters, as upstream's."""
    parameters = [
        {
            "in": "path",
            "name": name,
            "required": True,
            "description": PATH_VARIABLES[name],
            "schema": {"type": "string"},
        }
        for name in variables
    ]
    parameters += operation.get("parameters", [])
    return {**operation, "parameters": parameters} if parameters else operation


def _with_query_limit(operations: dict) -> dict:
    """The operations, each GET also answering 414 to a query string over the app's limit."""
    return {
        method: {**operation, "responses": {**operation["responses"], "414": "QueryTooLong"}}
        if method == "get"
        else operation
        for method, operation in operations.items()
    }
