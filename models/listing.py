"""What the read API's unfiltered listings store beside the rows: totals and page anchors.

Made again at the end of every writing transaction (services/listings.py), so they are always
those of the rows they sit beside, in the same snapshot.
"""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db
from models.columns import ordered_string


class ListingTotal(db.Model):
    """How many items a listing holds (`nodes`, `versions`): its pages' `total`."""

    __tablename__ = "catalog_totals"

    listing: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    total: Mapped[int] = mapped_column(sa.BigInteger)


class ListingAnchor(db.Model):
    """The key of one item of a listing, every ANCHOR_SPACING items, by its place in the list.

    A deep page starts from the anchor at or before its first item: an index seek to that key,
    then fewer than ANCHOR_SPACING items skipped, instead of skipping every item before it.
    """

    __tablename__ = "catalog_anchors"

    listing: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    # The 0-based place of the item in the listing's order (a multiple of ANCHOR_SPACING).
    position: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    node_key: Mapped[str] = mapped_column(ordered_string(100))
    # The version string, for listings of versions; NULL for listings of nodes.
    version_key: Mapped[str | None] = mapped_column(ordered_string(255))
