"""Pull-through mode: a look-up of a node the mirror lacks fetches it from an upstream registry.

`marks` keeps, in the database so every gunicorn worker sees it, which node one of them is
fetching (a claim) and which the upstream lacks (a miss, remembered for a while); `fetch` runs a
one-node sync for what was claimed, in the background, and lets the request wait a bounded time.
"""

from services.pull_through.fetch import PullThrough, PullThroughSettings

__all__ = ["PullThrough", "PullThroughSettings"]
