"""Gunicorn configuration for Concordia (example; copy to /etc/concordia/ and adjust).

    gunicorn -c deploy/gunicorn.conf.py "webapp:create_app()"

Sync workers, one per core plus one, behind a reverse proxy on 127.0.0.1.
The access log never records invitation tokens: ``/i/<token>`` is written as
``/i/[redacted]`` by :class:`webapp.accesslog.RedactingLogger`.
"""
import multiprocessing
import os

bind = os.environ.get("CONCORDIA_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("CONCORDIA_WORKERS", multiprocessing.cpu_count() + 1))
worker_class = "sync"
threads = 1
# The SQLite busy timeout for web requests (webapp.config SQLITE_BUSY_TIMEOUT_MS,
# 15 s) stays below this, so a request waiting for a write lock answers (503 with
# Retry-After when it still times out) before gunicorn kills the worker.
timeout = 30
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then (leaks, fragmentation); jitter avoids all at once.
max_requests = 5000
max_requests_jitter = 500
# Request size limits (the app itself refuses uploads over 2 MB: MAX_CONTENT_LENGTH).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
# Trust X-Forwarded-* only from the proxy on this host (the app's ProxyFix
# needs CONCORDIA_TRUST_PROXY=1 as well).
forwarded_allow_ips = "127.0.0.1"
accesslog = "-"
errorlog = "-"
loglevel = "info"
logger_class = "webapp.accesslog.RedactingLogger"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
