# syntax=docker/dockerfile:1
#
# One image for every process of the platform: web (gunicorn, the default CMD),
# the one-shot migration, the Celery worker and Celery beat. docker-compose.yml
# runs each with its own command; the virtualenv is /app/.venv, so the commands
# are the same `.venv/bin/...` ones as in a checkout.

# --- Build: resolve the locked dependencies into /app/.venv ------------------
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    POETRY_NO_INTERACTION=1 \
    POETRY_VIRTUALENVS_IN_PROJECT=true \
    POETRY_VIRTUALENVS_CREATE=true \
    POETRY_CACHE_DIR=/tmp/poetry-cache

# Poetry pinned to the version the Makefile installs, so the lock file reads the same.
RUN pip install "poetry==2.1.4"

WORKDIR /app
COPY pyproject.toml poetry.lock poetry.toml ./
RUN poetry install --only main --no-root --no-interaction \
    && rm -rf "$POETRY_CACHE_DIR"

# --- Runtime ----------------------------------------------------------------
FROM python:3.11-slim AS runtime

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    LOG_DIR=/app/logs \
    PATH="/app/.venv/bin:$PATH"

RUN groupadd --system --gid 1000 app \
    && useradd --system --uid 1000 --gid app --home-dir /app --no-create-home app

WORKDIR /app
# Same path as in the build stage: the venv's scripts point at /app/.venv/bin/python.
COPY --from=build /app/.venv /app/.venv
COPY . .

# Static files are collected at build time (served by whitenoise from
# STATIC_ROOT=/app/staticfiles). Importing the production settings requires a
# secret key and allowed hosts: dummy values, for this step only.
RUN DJANGO_SECRET_KEY=collectstatic-build-only DJANGO_ALLOWED_HOSTS=localhost \
    LOG_FILE_ENABLED=false \
    .venv/bin/python manage.py collectstatic --noinput

# The code stays root-owned and read-only to the app user. /app itself is
# writable because Celery beat keeps its schedule file (celerybeat-schedule) in
# the working directory; LOG_DIR receives the rotating JSON log.
RUN mkdir -p /app/logs \
    && chown app:app /app /app/logs

USER app

EXPOSE 8000

# Liveness only (/healthz/ touches no dependency). Plain HTTP on loopback:
# /healthz/ is exempt from DJANGO_SECURE_SSL_REDIRECT. The Host header is the
# first DJANGO_ALLOWED_HOSTS entry, so the probe passes the host check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["/app/.venv/bin/python", "-c", "import os, sys, urllib.request; h = (os.environ.get('DJANGO_ALLOWED_HOSTS') or 'localhost').split(',')[0].strip().lstrip('.'); h = 'localhost' if h in ('', '*') else h; r = urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:8000/healthz/', headers={'Host': h}), timeout=4); sys.exit(0 if r.status == 200 else 1)"]

CMD [".venv/bin/gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4"]
