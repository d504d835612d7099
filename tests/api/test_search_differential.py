"""Searches give the same answers with their index as by scanning, on text chosen to trip an
index up (non-ASCII letters FTS5 or PostgreSQL would fold, LIKE's % and _, quotes, FTS5's own
syntax), and both agree with the rule itself: the term, A-Z folded, is a substring."""

import random

import pytest
import sqlalchemy as sa

from extensions import db
from models import Node
from models.casefold import fold_ascii
from models.fts import create_search_index, drop_search_index
from models.search import TRIGRAM_INDEX
from tests.databases import POSTGRESQL, backend
from tests.dumps import dump, import_dump, node, version

# Pieces that differ only in a case some folding knows and A-Z folding does not, or that mean
# something to LIKE, to FTS5's query syntax or to SQL.
TRICKY = [
    "É",
    "é",
    "ÉCOLE",
    "école",
    "Straße",
    "STRASSE",
    "İstanbul",
    "istanbul",
    "\u0131",  # dotless i
    "ǅ",
    "ǆ",
    "Σίσυφος",
    "ΣΊΣΥΦΟΣ",
    "ς",
    "ﬁle",
    "file",
    "e\u0301",
    "Ω",
    "Ω",
    "😀 emoji",
    "日本語ノード",
    "100%",
    "a_b",
    "a%b",
    "50%_off",
    '"quoted"',
    "it's",
    "\\back\\",
    "a/b",
    "AND",
    "OR",
    "NOT",
    "NEAR(a b)",
    "{id}",
    "col:umn",
    "*star*",
    "^caret",
    "(paren)",
    "-minus",
    "+plus",
    "  ",
]
ASCII = ["Video", "HELPER", "loader", "Pack", "upscale", "LoRA", "sampler", "ComfyUI", "KSampler"]
NODES = 80
TERMS = 150


def tricky_text(rng: random.Random) -> str:
    """A few pieces, tricky and plain, joined as a name or description might be."""
    pieces = rng.choices(TRICKY + ASCII, k=rng.randint(1, 5))
    return rng.choice([" ", "", "-", "_"]).join(pieces)


def tricky_nodes(rng: random.Random) -> list[dict]:
    """NODES nodes of tricky text in every searched column (some left out)."""
    nodes = []
    for index in range(NODES):
        fields = {
            column: tricky_text(rng)
            for column in ("name", "description", "author")
            if rng.random() > 0.1
        }
        fields["repository"] = f"https://github.com/{tricky_text(rng)}/pack-{index}"
        nodes.append(node(f"Tricky-{index:03d}", version("1.0.0"), **fields))
    return nodes


def tricky_terms(rng: random.Random, nodes: list[dict]) -> list[str]:
    """Pieces of the nodes' own text in any case, of every length, and the tricky pieces."""
    texts = [n.get(column) or n["id"] for n in nodes for column in ("name", "description")]
    terms = list(TRICKY + ASCII)
    while len(terms) < TERMS:
        text = rng.choice(texts)
        start = rng.randrange(len(text))
        piece = text[start : start + rng.randint(1, 12)]
        terms.append(rng.choice([piece, piece.upper(), piece.lower(), piece.swapcase()]))
    return [term for term in terms if term.strip()]


@pytest.fixture
def tricky(runner, tmp_path) -> tuple[list[dict], list[str]]:
    """The app holds the tricky nodes; they and the terms to search them for."""
    rng = random.Random(20261201)
    nodes = tricky_nodes(rng)
    result = import_dump(runner, tmp_path, dump(*nodes))
    assert result.exit_code == 0, result.output
    return nodes, tricky_terms(rng, nodes)


def answers(client, parameter: str, terms: list[str]) -> dict[str, list[str]]:
    """The ids each term finds, in order, checked against the total the answer gives."""
    found = {}
    for term in terms:
        response = client.get("/nodes/search", query_string={parameter: term, "limit": 100})
        assert response.status_code == 200, (term, response.get_data(as_text=True))
        body = response.get_json()
        found[term] = [found_node["id"] for found_node in body["nodes"]]
        assert body["total"] == len(found[term]), term
    return found


def by_the_rule(nodes: list[dict], columns: tuple[str, ...], terms: list[str]) -> dict:
    """What each term must find: the nodes with a column holding it, A-Z folded, by lower id."""
    ordered = sorted(nodes, key=lambda n: n["id"].lower())
    return {
        term: [
            n["id"]
            for n in ordered
            if any(fold_ascii(term) in fold_ascii(n.get(column) or "") for column in columns)
        ]
        for term in terms
    }


def without_index(app) -> None:
    """Drop the backend's search index: SQLite's FTS5 table, PostgreSQL's trigram indexes."""
    with app.app_context(), db.engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            drop_search_index(connection)
        for index in Node.__table__.indexes:
            if index.info.get(TRIGRAM_INDEX):
                index.drop(connection, checkfirst=True)


@pytest.mark.parametrize(
    ("parameter", "columns"),
    [
        ("search", ("id", "name", "description", "author")),
        ("repository_url_search", ("repository",)),
    ],
)
def test_indexed_searches_answer_as_scans_and_the_rule_do(app, client, tricky, parameter, columns):
    nodes, terms = tricky
    indexed = answers(client, parameter, terms)
    without_index(app)
    scanned = answers(client, parameter, terms)

    assert indexed == scanned
    assert indexed == by_the_rule(nodes, columns, terms)
    assert sum(1 for found in indexed.values() if found) > len(terms) / 3  # terms that find


@pytest.mark.skipif(backend() == POSTGRESQL, reason="SQLite's index")
def test_a_search_index_remade_from_the_nodes_answers_the_same(app, client, tricky):
    _, terms = tricky
    before = answers(client, "search", terms)
    with app.app_context(), db.engine.begin() as connection:
        assert create_search_index(connection)
    assert answers(client, "search", terms) == before


def test_the_index_follows_updates_and_removals(app, client, runner, tmp_path, tricky):
    nodes, _ = tricky
    changed = [dict(n, name=f"Renamed Ωmega {n['id']}") for n in nodes[:10]]
    result = import_dump(runner, tmp_path, dump(*changed, *nodes[20:]), "--replace")
    assert result.exit_code == 0, result.output
    kept = changed + nodes[20:]
    terms = ["renamed ωmega", "RENAMED ΩMEGA", "Ωmega", "ωmega", "tricky-01", "tricky-00"]

    assert answers(client, "search", terms) == by_the_rule(
        kept, ("id", "name", "description", "author"), terms
    )
    with app.app_context():
        held = db.session.execute(sa.select(sa.func.count()).select_from(Node)).scalar_one()
    assert held == len(kept)
