"""gunicorn configuration for KAP Tracker, shipped in the package: `kap-tracker-serve` serves
with it (tracker/serve.py), as does `gunicorn -c python:tracker.gunicorn_conf`.

Every app server runs the same file with the same instance/config.py (or TRACKER_*
variables): one SECRET_KEY, AUDIT_KEY and ENCRYPTION_KEYS, a PostgreSQL DATABASE_URL and a
redis:// RATELIMIT_STORAGE_URI. Nothing is kept in a worker: login sessions and drafts are in
the database, rate-limit counters in Redis, so any worker of any server can answer any
request. Values below can be overridden with GUNICORN_* environment variables.
"""

import gc
import logging
import multiprocessing
import os

wsgi_app = "tracker:create_app()"
# The app is made once, in the master, and the workers are forked from it: they share its
# memory (code, templates' compiled modules, the URL map) instead of each making their own.
# Nothing made then is tied to a process: the database engine connects on first use (and
# post_fork below lets go of any connection all the same), the rate-limit storage is a
# counter in memory or a Redis client that reconnects after a fork. A configuration that
# cannot be used stops the master at once. GUNICORN_PRELOAD_APP=false makes each worker
# make its own app.
preload_app = os.environ.get("GUNICORN_PRELOAD_APP", "true").lower() not in ("0", "false")

# Behind the reverse proxy that terminates TLS; it must be the only way in.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# A master killed outright (kill -9, the OOM killer) leaves its workers running until they
# notice, within half the timeout: with SO_REUSEPORT the restarted server binds at once
# instead of failing with "Address already in use" (deploy/kap-tracker.service also ends
# the orphans, KillMode=control-group).
reuse_port = True
# No control socket in the service account's home (gunicornc is not used; under systemd the
# home is read-only, ProtectHome).
control_socket_disable = True
# Sync workers: each request is short and the database does the waiting. 2 per core + 1, at
# least 2, so that one slow request never holds every other; memory is about
# 50-65 MiB per worker. On the 2-core benchmark machine 2, 3 and 5 workers answered the same
# mixed load equally fast (README, "Benchmark"): the cores, not the workers, are the limit.
workers = int(os.environ.get("GUNICORN_WORKERS", max(2, multiprocessing.cpu_count() * 2 + 1)))
worker_class = "sync"
timeout = 30
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then (jitter keeps them from restarting together).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 5000))
max_requests_jitter = max_requests // 10
# Refuse oversized request lines and headers early (the app limits bodies to 1 MiB).
limit_request_line = 4094
limit_request_fields = 100

# Only the proxy's X-Forwarded-* are trusted; set TRACKER_PROXY_FIX_X_FOR=1 for one proxy.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

# Access log without query strings: a search (/search?q=...) or a patient filter must never
# reach a log. %(U)s is the path alone; %(r)s would include the query.
# Control characters in a line (a decoded %0a or %1b in the path) are escaped, so that a
# request cannot forge a line or send a terminal escape (tracker/logs.py).
logger_class = "tracker.logs.GunicornLogger"
accesslog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = "info"


def pre_fork(server, worker):
    """Everything the master made so far is left alone by the garbage collector of the
    workers: a collection there would write into every shared object (its GC header) and
    make each worker's copy of the page its own."""
    gc.freeze()


def post_fork(server, worker):
    """A worker opens its own database connections: any the master's app had made are
    forgotten here, not closed (they belong to the master)."""
    if server.cfg.preload_app:
        server.app.wsgi().extensions["tracker.engine"].dispose(close=False)


def on_reload(server):
    """`systemctl reload` (HUP): the new workers are forked from an app made again, with the
    configuration as it is now (instance/config.py, TRACKER_* variables), as they would make
    it themselves without preload_app. When it cannot be made, the old one serves on."""
    if not server.cfg.preload_app:
        return
    previous = server.app.callable
    server.app.callable = None
    try:
        server.app.wsgi()
    except Exception:  # noqa: BLE001 (whatever it is, the running configuration stays)
        logging.getLogger("gunicorn.error").exception(
            "reload: the app could not be made again; the previous configuration serves on")
        server.app.callable = previous
