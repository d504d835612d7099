"""Importing validated dumps and bundles in one transaction: run, write rows, derived data, summary.

Uses dumps/ and bundles/ to read, archives.py to publish archives, catalog/ for version order.
"""
