"""SQLite and PostgreSQL holding the same dump answer every read the same, byte for byte."""

import pytest

from tests.api.test_export import export_from, pairs_to_ask, rich_dump, without_exported_at
from tests.databases import POSTGRESQL, backend, database_url, postgres_database
from tests.dumps import catalogue_dump, comfy_node, dump, node, version, write
from tests.mirrors import import_into

pytestmark = pytest.mark.skipif(
    backend() != POSTGRESQL, reason="compares with PostgreSQL: runs with --database=postgresql"
)

# Ids that a collation other than code-point order would sort differently ("-" < "." < "_").
ORDER_SENSITIVE = dump(
    *(
        node(node_id, version("1.0.0"), version("1.0.0-rc.1"), version("1.0.0-RC.2"))
        for node_id in ("a-b", "a.b", "a_b", "ab", "a0", "Z-last", "zz", "A_B2")
    ),
    node(
        "order-classes",
        version(
            "1.0.0",
            comfy_nodes=[comfy_node(name) for name in ("a-b", "a.b", "a_b", "ab", "Z", "A_B2")],
        ),
    ),
)
READS = [
    "/nodes?limit=100",
    "/nodes?page=2&limit=3",
    "/nodes?node_id=a-b&node_id=A_B2&node_id=zz",
    "/nodes/search?search=pack&limit=100",
    "/nodes/search?search=%25",
    "/nodes/search?search=_",
    "/nodes/search?search=A_B",
    "/nodes/search?supported_os=LINUX",
    "/nodes/search?comfy_node_search=ksampler",
    "/versions?limit=100",
    "/versions?page=2&limit=4",
    "/versions?status=NodeVersionStatusFlagged",
    "/nodes/ComfyUI-Impact-Pack",
    "/nodes/comfyui-impact-pack/versions",
    "/nodes/a_b/versions",
    "/nodes/pack-one/versions/1.10.0",
    "/publishers/ltdrdata",
    "/nodes/a.b/install?version=1.0.0",
    "/comfy-nodes?pageSize=100",
    "/comfy-nodes?comfy_node_name=KSAMPLER%20PLUS%20(ADVANCED)",
    "/comfy-nodes/Add+Mul|Div/node",
    "/comfy-nodes/ksamplerplus/node",
    "/nodes/order-classes/versions/1.0.0/comfy-nodes?limit=100",
    "/nodes/ComfyUI-Impact-Pack/versions/8.0.0/comfy-nodes?limit=2&page=2",
    "/nodes/search?comfy_node_search=A_B",
]


@pytest.fixture
def mirrors(make_mirror, tmp_path):
    """(a mirror on SQLite, one on PostgreSQL), each holding the same three dumps."""
    on_sqlite = make_mirror(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'sqlite.db'}")
    # A natural-language collation, as many servers default to: ids must still list in
    # code-point order.
    with postgres_database(icu_locale="en") as name:
        on_postgresql = make_mirror(SQLALCHEMY_DATABASE_URI=database_url(name))
        yield from _holding_the_dumps(tmp_path, on_sqlite, on_postgresql)


def _holding_the_dumps(tmp_path, on_sqlite, on_postgresql):
    """Import the same three dumps into both mirrors; yield them."""
    documents = {"rich": rich_dump(), "catalogue": catalogue_dump(), "order": ORDER_SENSITIVE}
    for name, document in documents.items():
        path = write(tmp_path / f"{name}.json", document)
        import_into(on_sqlite, path)
        import_into(on_postgresql, path)
    yield on_sqlite, on_postgresql


@pytest.mark.parametrize("url", READS)
def test_both_backends_answer_a_read_with_the_same_bytes(mirrors, url):
    on_sqlite, on_postgresql = mirrors
    expected = on_sqlite.test_client().get(url)
    actual = on_postgresql.test_client().get(url)
    assert (actual.status_code, actual.data) == (expected.status_code, expected.data)


def test_both_backends_answer_a_bulk_request_with_the_same_bytes(mirrors):
    on_sqlite, on_postgresql = mirrors
    body = {"node_versions": pairs_to_ask(on_sqlite)}
    expected = on_sqlite.test_client().post("/bulk/nodes/versions", json=body)
    actual = on_postgresql.test_client().post("/bulk/nodes/versions", json=body)
    assert expected.status_code == 200
    assert actual.data == expected.data


def test_both_backends_export_the_same_dump(mirrors, tmp_path):
    on_sqlite, on_postgresql = mirrors
    from_sqlite = export_from(on_sqlite, tmp_path / "sqlite-export.json").read_bytes()
    from_postgresql = export_from(on_postgresql, tmp_path / "postgresql-export.json").read_bytes()
    assert without_exported_at(from_postgresql) == without_exported_at(from_sqlite)
