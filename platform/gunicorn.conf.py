"""gunicorn settings for the web service (docker-compose and bench/).

Threads (gthread) keep connections alive and let one slow request (a PDF, a
call to the payment processor) not block a whole worker. Every value can be
overridden from the environment or on the command line.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
keepalive = 5
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
# Recycle workers now and then so a slow leak never takes the site down.
max_requests = 5000
max_requests_jitter = 500
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
# Only trust X-Forwarded-* from the proxy in front of us.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# No control socket: it defaults to one path per user, shared by every gunicorn on the host.
control_socket_disable = True
# Heartbeat files in memory, not on the container's overlay filesystem.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None


def post_worker_init(worker):
    """The worker has loaded the site: move everything it holds so far (modules, settings, URL patterns,
    templates) out of the garbage collector's sight. A full collection then walks only what requests
    made since, rather than pausing a request for a walk over the whole framework (150 ms and more on an
    Insights page here, before this)."""
    import gc

    gc.collect()
    gc.freeze()
