"""Checking and repairing a mirror: database checks, archives against their rows, derived data.

Uses archives.py, bundles/ (to restore archives), imports/ (to recompute derived data) and
catalog/ (the node-class index's counts).
"""
