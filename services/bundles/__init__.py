"""Bundles: a dump plus node archives under a verified manifest; reading and writing them.

Uses dumps/ for the dump inside and archives.py for the archive store.
"""
