#!/bin/sh
# Serve the portal for `make run`. With REDIS_URL set, a Celery worker with beat runs beside it
# (without it, tasks run eagerly in the web process and nothing else is needed).
# Development mode (runserver) with DJANGO_DEBUG=1, which `make run` sets; otherwise production mode
# (gunicorn), as in kudus_capil/settings.py.
set -eu
: "${BIN:=.venv/bin}" "${HOST:=127.0.0.1}" "${PORT:=8000}"
# Without a real secret the portal signs sessions and CSRF tokens with the public development key:
# serve only this machine then.
if [ -z "${DJANGO_SECRET_KEY:-}" ] && [ -z "${DJANGO_SECRET_KEY_FILE:-}" ]; then
  case "$HOST" in
    127.0.0.1 | localhost | ::1 | "[::1]") ;;
    *)
      echo "serve.sh: HOST=$HOST listens beyond this machine, and no DJANGO_SECRET_KEY is set:" >&2
      echo "  the development secret key is public. Set DJANGO_SECRET_KEY (or _FILE), or HOST=127.0.0.1." >&2
      exit 2
      ;;
  esac
fi
worker_pid=""
if [ -n "${REDIS_URL:-}" ]; then
  "$BIN/celery" -A kudus_capil worker --beat --loglevel INFO --concurrency 2 &
  worker_pid=$!
  trap 'kill "$worker_pid" 2>/dev/null || true' EXIT INT TERM
fi
echo
echo "  kudus-capil on http://$HOST:$PORT/  (dashboard: /dashboard/, API docs: /api/docs/)"
echo "  Demo staff login: ${DEMO_STAFF_USERNAME:-demo} / ${DEMO_STAFF_PASSWORD:-kudus-demo-2024}"
echo
if [ "${DJANGO_DEBUG:-0}" != "1" ]; then
  "$BIN/python" manage.py collectstatic --noinput >/dev/null
  # Threads and a long timeout: a whole-kabupaten XLSX export takes a minute or more.
  exec "$BIN/gunicorn" kudus_capil.wsgi --bind "$HOST:$PORT" --workers 3 --threads 4 --timeout 180 --access-logfile -
fi
exec "$BIN/python" manage.py runserver "$HOST:$PORT"
