"""gunicorn settings for serving the mirror; each one can be overridden from the environment."""

import os
import shutil
import tempfile

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

# One access-log line per request, written by gunicorn once the answer is sent: the request id
# (X-Request-Id, also echoed to the client), the request line, status, bytes, milliseconds taken,
# the route template and a bulk request's pair count ("-" where none). The app hands the last
# three over in the WSGI environ (blueprints/observe.py); "%(r)s" stays quoted for log readers.
access_log_format = (
    '%(h)s %(t)s %({mirror.request_id}e)s "%(r)s" %(s)s %(B)s %(M)sms '
    'route=%({mirror.route}e)s pairs=%({mirror.pairs}e)s "%(a)s"'
)

# GET /metrics adds up every worker's figures (prometheus_client's multiprocess mode): workers
# write them to files in PROMETHEUS_MULTIPROC_DIR, which must be this gunicorn's own and empty
# at start. It is set here, in the master, before the app (and prometheus_client) is loaded and
# before workers fork; unset, a private temporary folder is made, and removed on exit.
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
# The temporary folder a gunicorn made, and the master that prepared the folder in use: a
# reload (HUP) keeps its figures; a new master (USR2) makes a folder of its own.
MADE_DIR = "MIRROR_METRICS_MADE_DIR"
PREPARED_BY = "MIRROR_METRICS_PREPARED_BY"


def prepare_metrics_dir() -> None:
    """Give this gunicorn a fresh PROMETHEUS_MULTIPROC_DIR, unless metrics are off."""
    if os.environ.get("MIRROR_METRICS", "").strip() == "0":
        return
    master = str(os.getpid())
    if os.environ.get(PREPARED_BY) == master:
        return
    folder = os.environ.get(MULTIPROC_DIR)
    if not folder or folder == os.environ.get(MADE_DIR):
        folder = tempfile.mkdtemp(prefix="mirror-metrics-")
        os.environ[MULTIPROC_DIR] = os.environ[MADE_DIR] = folder
    else:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        # A previous run's files would be added to this one's figures.
        for name in os.listdir(folder):
            if name.endswith(".db"):
                os.remove(os.path.join(folder, name))
    os.environ[PREPARED_BY] = master


def child_exit(server, worker) -> None:
    """Forget an exited worker's live gauges; its counters stay in the totals."""
    if os.environ.get(MULTIPROC_DIR):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    """Remove the temporary metrics folder this gunicorn made."""
    made = os.environ.get(MADE_DIR)
    mine = os.environ.get(PREPARED_BY) == str(os.getpid())
    if made and mine and made == os.environ.get(MULTIPROC_DIR):
        shutil.rmtree(made, ignore_errors=True)


prepare_metrics_dir()
