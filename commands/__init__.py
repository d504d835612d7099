"""The `flask mirror ...` commands; each module adds its commands to the one group."""

from commands import (
    dumps,  # noqa: F401  (registers import, export and seed)
    index,  # noqa: F401  (registers index)
    status,  # noqa: F401  (registers status)
    sync,  # noqa: F401  (registers sync)
    verify,  # noqa: F401  (registers verify)
)
from commands.group import mirror

__all__ = ["mirror"]
