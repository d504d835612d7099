"""Importing validated dumps and bundles in one transaction: run, write rows, derived data, summary,
and the node classes read from archives (archive_index; reindex for `flask mirror index`).

Uses dumps/ and bundles/ to read, archives.py to publish archives, catalog/ for version order,
node_classes/ to read archives' node classes.
"""
