"""gunicorn configuration for KAP Tracker, shipped in the package: `kap-tracker-serve` serves
with it (tracker/serve.py), as does `gunicorn -c python:tracker.gunicorn_conf`.

Every app server runs the same file with the same instance/config.py (or TRACKER_*
variables): one SECRET_KEY, AUDIT_KEY and ENCRYPTION_KEYS, a PostgreSQL DATABASE_URL and a
redis:// RATELIMIT_STORAGE_URI. Nothing is kept in a worker: login sessions and drafts are in
the database, rate-limit counters in Redis, so any worker of any server can answer any
request. Values below can be overridden with GUNICORN_* environment variables.
"""

import multiprocessing
import os

wsgi_app = "tracker:create_app()"

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
# Sync workers: each request is short and the database does the waiting. Two per core, plus
# one, is gunicorn's own advice; memory is about 60-80 MiB per worker.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
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
