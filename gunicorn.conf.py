"""gunicorn settings read from the working directory by every `gunicorn kudus_capil.wsgi` (compose,
scripts/serve.sh, the fault tests and the load benchmark).

The access log carries the path without its query string and no referrer: a staff search by NIK
(`/dashboard/citizens/?q=3319…`) and the booking manage links (`?token=…`) never reach a log file.
"""

access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
