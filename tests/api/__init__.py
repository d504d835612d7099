"""API tests: the app in-process, through Flask's test client and its CLI runner."""
