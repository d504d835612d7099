"""Reading the local mirror: bulk look-ups, the read API's queries, version order and status.

Uses models/ and schemas/ only; it never writes.
"""
