"""Lower-casing text the same way in SQL on every backend and in Python: ASCII letters only.

SQLite's lower() folds only A-Z; PostgreSQL's folds every letter its collation knows. Searches
must match the same nodes on both, so PostgreSQL is given SQLite's rule, and search terms too.
PostgreSQL's lower() under the "C" collation is that rule (it folds ASCII bytes only), and
costs a twentieth of translate(), which matters when a search tests every node.
"""

import string

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

_TO_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


class ascii_lower(FunctionElement):
    """lower(text) folding A-Z only, on every backend."""

    type = sa.Text()
    inherit_cache = True


@compiles(ascii_lower)
def _lower(element, compiler, **kw) -> str:
    """SQLite (and by default): lower(), which folds A-Z only."""
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(ascii_lower, "postgresql")
def _lower_c(element, compiler, **kw) -> str:
    """PostgreSQL: lower() under the "C" collation, which folds A-Z and leaves other letters."""
    (argument,) = element.clauses.clauses
    text = compiler.process(argument, **kw)
    # Written as PostgreSQL writes the index expression back, so schema comparisons agree.
    if not isinstance(argument, sa.ColumnClause | sa.Cast):
        text = f"({text})"
    return f'lower({text} COLLATE "C")'


def fold_ascii(text: str) -> str:
    """`text` with A-Z lowered and everything else kept, as ascii_lower() does in SQL."""
    return text.translate(_TO_LOWER)
