"""Claims and answers of pull-through fetches, kept in the database for every worker to see.

A claim is a row written in a write transaction (BEGIN IMMEDIATE on SQLite, the writers' advisory
lock on PostgreSQL), so of two workers asking for the same missing node exactly one claims it;
the other waits for the claim to end by reading the row again. A row works the same on both
backends, outlives no worker for long (it expires), and shows in the database what is going on.
"""

import time
from collections.abc import Iterable
from datetime import timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from database import begin_write
from models import PullThroughMark
from models.columns import utcnow

# How often a worker waiting for another's fetch looks at the claim again.
POLL_SECONDS = 0.05


class Mark(StrEnum):
    """What asking for a node found: claimed for us, being fetched by another, or answered lately
    (missing upstream, or fetched) and not to be asked again yet."""

    CLAIMED = "claimed"
    BUSY = "busy"
    FRESH = "fresh"


def _marks(session: Session, keys: Iterable[str]) -> dict[str, PullThroughMark]:
    """The marks of these node keys, by key."""
    query = sa.select(PullThroughMark).where(PullThroughMark.node_key.in_(list(keys)))
    return {mark.node_key: mark for mark in session.scalars(query)}


def _state(mark: PullThroughMark | None, now) -> Mark | None:
    """What a mark says now: a fresh answer, a live claim, or nothing (free to claim)."""
    if mark is None:
        return None
    if mark.fresh_until is not None and mark.fresh_until > now:
        return Mark.FRESH
    if mark.claimed_until is not None and mark.claimed_until > now:
        return Mark.BUSY
    return None


def claim(engine: Engine, keys: list[str], claim_seconds: float) -> dict[str, Mark]:
    """Claim every key that is free; say for each whether it was claimed, busy or fresh."""
    with Session(engine) as session:
        now = utcnow()
        # Read first: a fresh answer or another's claim needs no write lock.
        found = {key: _state(mark, now) for key, mark in _marks(session, keys).items()}
        states = {key: found[key] for key in keys if found.get(key) is not None}
        free = [key for key in keys if key not in states]
        if not free:
            return states
        begin_write(session, catalog=False)
        now = utcnow()
        held = _marks(session, free)
        for key in free:
            mark = held.get(key)
            state = _state(mark, now)
            if state is not None:
                states[key] = state
                continue
            if mark is None:
                mark = PullThroughMark(node_key=key)
                session.add(mark)
            mark.claimed_until = now + timedelta(seconds=claim_seconds)
            mark.fresh_until = None
            states[key] = Mark.CLAIMED
        session.commit()
    return states


def release(engine: Engine, keys: list[str], answered: set[str], ttl: float) -> None:
    """End our claims; keep the upstream's answers (`answered` keys) fresh for `ttl` seconds."""
    if not keys:
        return
    with Session(engine) as session:
        begin_write(session, catalog=False)
        now = utcnow()
        for key, mark in _marks(session, keys).items():
            mark.claimed_until = None
            mark.fresh_until = now + timedelta(seconds=ttl) if key in answered else None
        session.commit()


def wait_for_others(engine: Engine, keys: list[str], deadline: float) -> None:
    """Wait until no other worker's claim on these keys is live, or until `deadline`."""
    if not keys:
        return
    while time.monotonic() < deadline:
        with Session(engine) as session:
            now = utcnow()
            marks = _marks(session, keys)
            if all(_state(marks.get(key), now) is not Mark.BUSY for key in keys):
                return
        time.sleep(POLL_SECONDS)
