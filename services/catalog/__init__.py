"""Reading the local mirror: bulk look-ups, the read API's queries, version order and status.

Uses models/, schemas/ and the shared helpers at services/ level only; it never writes.
"""
