"""The OpenAPI document, generated from the same marshmallow schemas the views use."""

import enum
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from marshmallow import fields

from blueprints.limits import QUERY_TOO_LONG
from schemas.bulk import BulkNodeVersionsRequestSchema, BulkNodeVersionsResponseSchema
from schemas.errors import ErrorResponseSchema
from version import __version__

OPENAPI_VERSION = "3.0.2"


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
    """Describe every route the app serves, using the views' docstrings and schemas."""
    plugin = MarshmallowPlugin(schema_name_resolver=_schema_name)
    spec = APISpec(
        title="Comfy Registry Mirror",
        version=__version__,
        openapi_version=OPENAPI_VERSION,
        plugins=[plugin],
        info={"description": "An offline mirror of the Comfy Registry API."},
    )
    plugin.converter.add_attribute_function(_enum_component(spec))
    spec.components.schema("ErrorResponse", schema=ErrorResponseSchema)
    spec.components.schema("BulkNodeVersionsRequest", schema=BulkNodeVersionsRequestSchema)
    spec.components.schema("BulkNodeVersionsResponse", schema=BulkNodeVersionsResponseSchema)
    spec.components.response("QueryTooLong", QUERY_TOO_LONG)
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        view = app.view_functions.get(rule.endpoint)
        operations = getattr(view, "openapi_operations", None)
        if operations:
            spec.path(path=_openapi_path(rule.rule), operations=_with_query_limit(operations))
    return spec


def _with_query_limit(operations: dict) -> dict:
    """The operations, each GET also answering 414 to a query string over the app's limit."""
    return {
        method: {**operation, "responses": {**operation["responses"], "414": "QueryTooLong"}}
        if method == "get"
        else operation
        for method, operation in operations.items()
    }


def _openapi_path(rule: str) -> str:
    """Flask's /nodes/<node_id> as OpenAPI's /nodes/{node_id}."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def documented(method: str, **operation):
    """Attach an OpenAPI operation to a view; its docstring's first line becomes the summary."""

    def attach(view):
        summary = (view.__doc__ or "").strip().splitlines()[0] if view.__doc__ else None
        described = {"summary": summary, **operation} if summary else dict(operation)
        view.openapi_operations = {**getattr(view, "openapi_operations", {}), method: described}
        return view

    return attach
