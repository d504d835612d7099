"""Unit tests: pure functions, and services called directly on a database session."""
