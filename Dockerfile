# The portal image: gunicorn by default (CMD); the Celery worker, beat and the one-shot migrate job of
# docker-compose.yml run the same image with another command. docs/deployment.md explains the stack.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

# Exactly the locked versions, every file checked against its hash (`make lock` regenerates the lock).
COPY requirements/base.txt requirements/base.txt
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements/base.txt

# The code stays owned by root: the app user reads it and cannot change it.
COPY . .
# Static files are collected (hashed names, compressed, manifest) at build time, in production mode
# with a throwaway secret that exists only in this build step. Bytecode is compiled now, since the
# app user cannot write it later.
RUN DJANGO_DEBUG=0 DJANGO_SECRET_KEY=build-time-collectstatic-only DJANGO_ALLOWED_HOSTS=localhost \
        python manage.py collectstatic --noinput -v 0 \
    && python -m compileall -q kudus_capil core regions registrations schedules blanks dashboard \
    && chmod -R a+rX,go-w /app \
    && useradd --system --uid 1000 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin kudus

# The only writable place the app needs is /tmp (exports, gunicorn's worker files, the beat
# heartbeat); docker-compose.yml mounts the root file system read-only with a tmpfs there.
USER kudus
ENV DJANGO_DEBUG=0 \
    PORT=8000 \
    GUNICORN_BIND=0.0.0.0:8000 \
    GUNICORN_WORKERS=3 \
    GUNICORN_THREADS=4 \
    GUNICORN_TIMEOUT=180 \
    GUNICORN_ACCESS_LOG=-
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=6s --start-period=30s --retries=3 \
    CMD ["python", "scripts/healthcheck.py", "web"]
CMD ["gunicorn", "--config", "gunicorn.conf.py", "kudus_capil.wsgi"]
