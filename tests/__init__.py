"""The test suite: tests/unit, tests/api and tests/e2e, and the helpers they share."""
