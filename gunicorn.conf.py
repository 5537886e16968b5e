"""gunicorn settings read from the working directory by every `gunicorn kudus_capil.wsgi` (the image's
CMD, scripts/serve.sh, the fault tests and the load benchmark).

The access log carries the path without its query string and no referrer: a staff search by NIK
(`/dashboard/citizens/?q=3319…`) never reaches a log file, and the manage token in the path of a
booking's links (`/appointments/<code>/m/<token>/`) is masked by core.gunicorn_logging.

Bind address, workers, threads, timeout and the access log come from GUNICORN_* variables (the
Dockerfile sets the production values); unset, they are gunicorn's own defaults, and command-line
flags override them.
"""

import os

access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
logger_class = "core.gunicorn_logging.MaskedAccessLogger"
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]
workers = int(os.environ.get("GUNICORN_WORKERS", "1"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# A whole-kabupaten XLSX export takes a minute or more: the image sets 180 s.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
