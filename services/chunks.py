"""Splitting long lists of keys so each statement or request carries a bounded number of them."""

from collections.abc import Iterator, Sequence
from typing import TypeVar

# Bound values per statement when filtering by many keys (SQLite allows 32,766).
KEYS_PER_STATEMENT = 5_000

Item = TypeVar("Item")


def chunks(items: Sequence[Item], size: int = KEYS_PER_STATEMENT) -> Iterator[Sequence[Item]]:
    """Consecutive slices of `items`, each at most `size` long."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
