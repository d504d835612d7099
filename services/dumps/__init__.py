"""Dumps: reading (gzip or plain JSON), validating whole documents, and writing them back.

Uses schemas/ and models/; catalog/ for version order when writing.
"""
