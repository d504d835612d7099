"""Syncing from an upstream registry: HTTP client, catalogue walk, archives, work folder.

Uses imports/ to load what it fetched, bundles/ and dumps/ to write --out bundles.
"""
