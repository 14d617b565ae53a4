"""Gunicorn configuration for Concordia (example; copy to /etc/concordia/ and adjust).

    gunicorn -c deploy/gunicorn.conf.py "webapp:create_app()"

Sync workers (one per core plus one on SQLite, two per core plus one on PostgreSQL),
behind a reverse proxy on 127.0.0.1. The app is
loaded once, in the master, and each worker is a fork of it: starting or recycling a
worker costs a fork, not the app's import and set-up (several seconds of CPU, taken from
the requests of the other workers when a worker is recycled under load).
The access log never records invitation tokens: ``/i/<token>`` is written as
``/i/[redacted]`` by :class:`webapp.accesslog.RedactingLogger`.
"""
import gc
import multiprocessing
import os

bind = os.environ.get("CONCORDIA_BIND", "127.0.0.1:8000")


def _default_workers() -> int:
    """SQLite: one per core plus one (one writer at a time; more workers only queue
    for its lock). PostgreSQL: two per core plus one (gunicorn's rule): a worker spends
    part of each request waiting for the database's round trips and commit flush,
    when another can use the core. In the 1,000-expert load run on 2 cores
    (``bench/load.py``, README) 5 workers instead of 3 took the median save from
    502 to 137 ms."""
    cores = multiprocessing.cpu_count()
    if os.environ.get("CONCORDIA_DATABASE_URL", "").startswith("postgresql"):
        return 2 * cores + 1
    return cores + 1


workers = int(os.environ.get("CONCORDIA_WORKERS", _default_workers()))
worker_class = "sync"
threads = 1
# The SQLite busy timeout for web requests (webapp.config SQLITE_BUSY_TIMEOUT_MS,
# 15 s) stays below this, so a request waiting for a write lock answers (503 with
# Retry-After when it still times out) before gunicorn kills the worker.
timeout = 30
graceful_timeout = 30
keepalive = 5
preload_app = True
# Recycle workers now and then (leaks, fragmentation). The jitter is half the limit, so
# that workers, which share the requests evenly, do not all restart together: with
# 5000 +- 500, 7 workers restarted within 12 s of each other at the peak of the
# 1,000-expert load run (bench/load.py), each with cold caches and a new database
# connection, and that window's save p95 went from ~150 to 819 ms.
max_requests = 10000
max_requests_jitter = 5000
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


def when_ready(server):
    """Compile the app's templates in the master, once, before the first fork: every
    worker, a restarted one too, inherits them (``webapp.templating.precompile_templates``)."""
    from webapp.templating import precompile_templates

    if not server.cfg.preload_app:
        return   # the master has no app of its own to compile them in
    app = server.app.wsgi()
    if hasattr(app, "jinja_env") and "sqlalchemy" in getattr(app, "extensions", {}):  # Concordia, not bench's bare app
        with app.app_context():
            count = precompile_templates(app)
        server.log.info("Compiled %d templates before forking the workers", count)


def pre_fork(server, worker):
    """Move the loaded app's objects out of the garbage collector's sight before forking:
    a worker's full collections then never walk the ~190,000 objects it inherited (a
    full collection of the loaded app took 100 ms, of a warm worker 120-170 ms, of some
    request's time), and never write to their pages, which stay shared with the master
    (the recipe in the docs of ``gc.freeze``)."""
    gc.freeze()


def post_fork(server, worker):
    """A forked worker opens its own database connections: none is shared with the
    master or a sibling (SQLAlchemy's advice for forked processes)."""
    from webapp.extensions import db

    app = worker.app.wsgi()
    if "sqlalchemy" in getattr(app, "extensions", {}):  # Concordia (bench/load.py's bare app has its own engine)
        with app.app_context():
            db.engine.dispose(close=False)
