"""GET /openapi.json: a valid OpenAPI 3 document whose bulk operation is the seed's."""

import pytest
from openapi_spec_validator import validate

from tests.assertions import assert_error
from tests.contract import dereference, seed_document

BULK = ("/bulk/nodes/versions", "post")


@pytest.fixture
def served(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_served_document_validates_as_openapi_3(served):
    assert served["openapi"].startswith("3.")
    validate(served)


def test_bulk_operation_is_structurally_the_seeds(served):
    seed = seed_document()
    ours = dereference(served["paths"][BULK[0]][BULK[1]], served)
    theirs = dereference(seed["paths"][BULK[0]][BULK[1]], seed)
    assert ours == theirs


@pytest.mark.parametrize(
    "name",
    [
        "BulkNodeVersionsRequest",
        "BulkNodeVersionsResponse",
        "BulkNodeVersionResult",
        "NodeVersionIdentifier",
        "NodeVersion",
        "NodeVersionStatus",
        "ErrorResponse",
    ],
)
def test_seed_components_exist_under_the_same_names(served, name):
    seed = seed_document()
    assert dereference(served["components"]["schemas"][name], served) == dereference(
        seed["components"]["schemas"][name], seed
    )


def test_document_is_generated_from_the_schemas_that_validate(served):
    # A field added to the request schema shows up in the document: nothing is written twice.
    from schemas.bulk import BulkNodeVersionsRequestSchema

    documented = set(served["components"]["schemas"]["BulkNodeVersionsRequest"]["properties"])
    assert documented == {
        field.data_key or name for name, field in BulkNodeVersionsRequestSchema().fields.items()
    }


# ListComfyNodes documents upstream's page and limit but answers 404 whatever they are.
DOCUMENTED_ONLY = {"ListComfyNodes"}
TYPED = ("integer", "boolean")


def number_and_flag_parameters(document: dict):
    """(url, name) of every integer or boolean query parameter the document gives a view."""
    for path, operations in document["paths"].items():
        url = path.replace("{", "").replace("}", "")
        for operation in operations.values():
            if operation["operationId"] in DOCUMENTED_ONLY:
                continue
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and parameter["schema"].get("type") in TYPED:
                    yield url, parameter["name"]


def test_every_documented_number_or_flag_parameter_is_loaded(served, client):
    checked = set()
    for url, name in number_and_flag_parameters(served):
        assert_error(client.get(f"{url}?{name}=x"), 400, f"{name}:")
        checked.add(name)
    assert {"page", "limit", "pageSize", "include_banned", "include_translations"} <= checked
