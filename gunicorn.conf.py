"""gunicorn settings for serving the mirror; each one can be overridden from the environment."""

import os

# 127.0.0.1:8080 by default: comfy-cli's dev mode looks there. Set MIRROR_BIND=0.0.0.0:8080
# (or PORT) to listen beyond this machine, normally behind a reverse proxy.
bind = os.environ.get("MIRROR_BIND") or f"127.0.0.1:{os.environ.get('PORT', '8080')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads carry the requests: an archive download holds one thread for as long as its client
# takes, while the worker's own loop keeps its heartbeat going and its other threads answer.
# (A sync worker is silent while it sends, so the timeout killed it mid-download.)
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# Build the app once in the master: an empty database's schema is created there, not raced by
# every worker, and a database whose schema is behind stops gunicorn before anything is served.
preload_app = True
# Only a worker whose own loop is stuck is killed; no request's length counts against it.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"

# gunicorn trusts no forwarded header: the app alone does, through as many proxies as
# MIRROR_TRUSTED_PROXIES says (X-Forwarded-Proto/-Host/-Port/-Prefix). gunicorn's defaults would
# take X-Forwarded-Proto/-Ssl/-Protocol and a SCRIPT_NAME header from any local client and from
# unix sockets, whatever that setting says, and change every URL the mirror emits.
forwarded_allow_ips = ""
secure_scheme_headers = {}
forwarder_headers = ""

# Request limits. Past them gunicorn answers 414 or 431 itself, as a small HTML page, before the
# app sees the request; within them every error is the app's JSON ErrorResponse. The app refuses
# query strings over MIRROR_MAX_QUERY_BYTES (JSON 414), so keep the request line limit above it.
# 8190 is the most gunicorn allows for the request line.
limit_request_line = int(os.environ.get("MIRROR_MAX_REQUEST_LINE", "8190"))
limit_request_fields = int(os.environ.get("MIRROR_MAX_HEADERS", "100"))
limit_request_field_size = int(os.environ.get("MIRROR_MAX_HEADER_BYTES", "8190"))
