"""Reading publishers: one, or every one, as the API sends them."""

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import Publisher
from schemas.node import PublisherSchema

_publisher_schema = PublisherSchema()


def get_publisher(session: Session, publisher_id: str) -> dict | None:
    """A publisher as the API sends it, or None."""
    publisher = session.get(Publisher, publisher_id)
    return _publisher_schema.dump(publisher) if publisher is not None else None


def list_publishers(session: Session) -> list[dict]:
    """Every publisher as the API sends it, by id."""
    found = session.scalars(sa.select(Publisher).order_by(Publisher.id))
    return [_publisher_schema.dump(publisher) for publisher in found]
