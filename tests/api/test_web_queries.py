"""The web pages' cost: a fixed number of queries whatever a page shows (no query per pack or
per version), and each page under 20 ms of server time on a mirror of 5,000 packs."""

import time

import pytest
import sqlalchemy as sa

from extensions import db
from tests.databases import statements_run
from tests.dumps import dump, node, version, write
from tests.mirrors import import_into

HTML = {"Accept": "text/html"}
LARGE_MIRROR_PACKS = 5000
PAGE_BUDGET_MS = 20


def queries_run(client, path: str) -> int:
    """How many SQL statements answering `path` ran (a successful page)."""
    with client.application.app_context():
        engine = db.engine
    with statements_run(engine, "") as statements:
        response = client.get(path, headers=HTML)
    assert response.status_code == 200, response.data[:300]
    return len(statements)


@pytest.mark.parametrize(
    "few, many",
    [
        ("/web/search?q=VIDEO", "/web/search?q=filler"),
        ("/web/search?q=VIDEO&sort=downloads", "/web/search?sort=updated"),
        ("/web/packs/pack-two", "/web/packs/Pack-One"),
        ("/web/publishers/pub-two", "/web/publishers/pub-one"),
    ],
)
def test_a_page_runs_no_more_queries_for_many_packs_or_versions_than_for_one(
    catalogue_client, few, many
):
    assert queries_run(catalogue_client, many) <= queries_run(catalogue_client, few) <= 8


def large_mirror_dump() -> dict:
    """LARGE_MIRROR_PACKS packs of three versions each, with words to search for."""
    return dump(
        *(
            node(
                f"pack-{index:05d}",
                *(version(f"1.{minor}.0", changelog=f"Release {minor}.") for minor in range(3)),
                name=f"Pack {index}",
                description=f"Nodes for {'video' if index % 10 == 0 else 'images'}, {index}.",
                downloads=index * 7 % 1000,
                publisher={"id": f"publisher-{index % 50}"},
            )
            for index in range(LARGE_MIRROR_PACKS)
        ),
        publishers=[
            {"id": f"publisher-{index}", "name": f"Publisher {index}"} for index in range(50)
        ],
    )


def fastest_ms(client, path: str, runs: int = 15) -> float:
    """The least time the app took to answer `path` in `runs` tries after two warm-ups, in ms:
    what the page costs, with as little as may be of the other work on a shared machine."""
    timings = []
    for run in range(runs + 2):
        started = time.perf_counter()
        response = client.get(path, headers=HTML)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200
        if run >= 2:
            timings.append(elapsed)
    return min(timings)


# Searches for a term, held to the same budget on both backends (on PostgreSQL the folding
# costs little since it is lower() under the "C" collation, and only the page's rows are read).
TERM_SEARCHES = ["/web/search?q=video", "/web/search?q=video&sort=downloads&page=3"]
PAGES = [
    "/",
    "/web/search",
    "/web/search?sort=updated",
    "/web/packs/pack-04999",
    "/web/publishers/publisher-7",
    "/web/status",
    "/web/connect",
]


@pytest.mark.slow
def test_every_page_answers_within_its_budget_on_5000_packs(app, tmp_path):
    import_into(app, write(tmp_path / "large.json", large_mirror_dump()))
    client = app.test_client()
    with app.app_context():
        postgresql = db.engine.dialect.name == "postgresql"
        if postgresql:
            db.session.execute(sa.text("ANALYZE"))
            db.session.commit()
    timings = {path: fastest_ms(client, path) for path in PAGES + TERM_SEARCHES}
    print({path: round(ms, 2) for path, ms in timings.items()})
    assert all(ms < PAGE_BUDGET_MS for ms in timings.values()), timings
