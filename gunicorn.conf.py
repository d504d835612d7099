"""gunicorn settings for serving the mirror; each one can be overridden from the environment."""

import os

# 127.0.0.1:8080 by default: comfy-cli's dev mode looks there. Set MIRROR_BIND=0.0.0.0:8080
# (or PORT) to listen beyond this machine, normally behind a reverse proxy.
bind = os.environ.get("MIRROR_BIND") or f"127.0.0.1:{os.environ.get('PORT', '8080')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Build the app once in the master: an empty database's schema is created there, not raced by
# every worker, and a database whose schema is behind stops gunicorn before anything is served.
preload_app = True
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
