"""Checking and repairing a mirror: database checks, archives against their rows, derived data.

Uses archives.py, bundles/ (to restore archives) and imports/ (to recompute derived data).
"""
