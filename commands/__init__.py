"""The `flask mirror ...` commands; each module adds its commands to the one group."""

from commands import dumps  # noqa: F401  (registers import, export and seed)
from commands.group import mirror

__all__ = ["mirror"]
