"""The read API's unfiltered listings: their order, and their totals and page anchors, stored.

GET /nodes and GET /versions without filters list every node by lower-cased id and every version
by (lower-cased node id, version string). Counting a million rows for each page's `total`, and
skipping hundreds of thousands of wide rows to reach a deep page, cost more than the page itself;
so the totals, and the key of every ANCHOR_SPACING-th item, are stored (models/listing.py) and
made again at the end of every writing transaction (database.py calls `store_listings` before a
writer commits), in the same snapshot as the rows. A page then costs an index seek and at most
ANCHOR_SPACING - 1 skipped index entries, however deep it is. Making them again is one ordered
walk of each listing's key index: O(rows) per writer, which imports, syncs and repairs already are.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import ListingAnchor, ListingTotal, Node, NodeVersion

# Items between two anchors: a page skips fewer than this many index entries after its seek.
ANCHOR_SPACING = 100


@dataclass(frozen=True)
class Listing:
    """A listing of a table's rows in the order of `keys`, unique columns of an index."""

    name: str
    keys: tuple


NODES = Listing("nodes", (Node.normalized_id,))
VERSIONS = Listing("versions", (NodeVersion.node_normalized_id, NodeVersion.version))
LISTINGS = (NODES, VERSIONS)


def _count(listing: Listing) -> sa.Select:
    """A fresh count of the listing's items."""
    return sa.select(sa.func.count()).select_from(listing.keys[0].table)


def _anchors(listing: Listing) -> sa.Select:
    """The listing's anchors as they should be: (listing, position, node key, version key)."""
    place = sa.func.row_number().over(order_by=listing.keys) - 1
    numbered = sa.select(*listing.keys, place.label("position")).subquery()
    version = numbered.c.version if len(listing.keys) > 1 else sa.null()
    return (
        sa.select(
            sa.literal(listing.name, sa.String(40)).label("listing"),
            numbered.c.position,
            numbered.c[listing.keys[0].name].label("node_key"),
            version.label("version_key"),
        )
        .where(numbered.c.position % ANCHOR_SPACING == 0)
        .order_by(numbered.c.position)
    )


def store_listings(session: Session) -> None:
    """Make every listing's total and anchors again from the rows, in the session's transaction."""
    session.execute(sa.delete(ListingTotal))
    session.execute(sa.delete(ListingAnchor))
    for listing in LISTINGS:
        total = session.execute(_count(listing)).scalar_one()
        session.execute(sa.insert(ListingTotal).values(listing=listing.name, total=total))
        columns = ("listing", "position", "node_key", "version_key")
        session.execute(sa.insert(ListingAnchor).from_select(columns, _anchors(listing)))


def stored_total(session: Session, listing: Listing) -> int | None:
    """The listing's stored total; None in a database no writer has committed to yet."""
    query = sa.select(ListingTotal.total).where(ListingTotal.listing == listing.name)
    return session.execute(query).scalar_one_or_none()


def listing_total(session: Session, listing: Listing) -> int:
    """The listing's total: stored, or counted where none is stored yet."""
    total = stored_total(session, listing)
    return session.execute(_count(listing)).scalar_one() if total is None else total


def seek(session: Session, listing: Listing, query: sa.Select, offset: int) -> sa.Select:
    """`query` (of the listing's rows, in its order) from its item number `offset` on.

    From the anchor at or before that item, the rows' index is entered at the anchor's key and
    only the items between them are skipped; without an anchor (none stored yet) by OFFSET.
    """
    position = offset - offset % ANCHOR_SPACING
    if position == 0:
        # The first anchor is the first item: nothing to seek to.
        return query.offset(offset)
    anchor = session.execute(
        sa.select(ListingAnchor.node_key, ListingAnchor.version_key).where(
            ListingAnchor.listing == listing.name, ListingAnchor.position == position
        )
    ).one_or_none()
    if anchor is None:
        return query.offset(offset)
    values = anchor[: len(listing.keys)]
    if len(listing.keys) == 1:
        start = listing.keys[0] >= values[0]
    else:
        start = sa.tuple_(*listing.keys) >= sa.tuple_(*values)
    return query.where(start).offset(offset - position)


def stale_listings(session: Session) -> list[tuple[str, str]]:
    """Each listing whose stored total or anchors differ from its rows: (listing, what differs)."""
    stale = []
    for listing in LISTINGS:
        total = session.execute(_count(listing)).scalar_one()
        stored = stored_total(session, listing)
        # An empty database no writer has committed to yet stores nothing, and needs nothing.
        if stored != total and not (stored is None and total == 0):
            stale.append((listing.name, f"the stored total is {stored}; it holds {total}"))
            continue
        expected = [tuple(row) for row in session.execute(_anchors(listing))]
        query = (
            sa.select(
                ListingAnchor.listing,
                ListingAnchor.position,
                ListingAnchor.node_key,
                ListingAnchor.version_key,
            )
            .where(ListingAnchor.listing == listing.name)
            .order_by(ListingAnchor.position)
        )
        held = [tuple(row) for row in session.execute(query)]
        if held != expected:
            first = next(
                (a[1] for a, b in zip(held, expected, strict=False) if a != b),
                min(len(held), len(expected)) * ANCHOR_SPACING,
            )
            stale.append((listing.name, f"its page anchors differ from its rows from item {first}"))
    return stale
