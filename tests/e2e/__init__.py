"""End-to-end tests: real gunicorn, subprocesses, real clients and misbehaving upstream servers."""
