#!/bin/sh
# Starts one of the services of docker-compose.yml: web, worker or beat.
# Anything else is run as a command, e.g. `docker compose run web python manage.py load_demo`.
set -eu

# With no SECRET_KEY given, make one once and keep it in the shared volume.
if [ -z "${SECRET_KEY:-}" ] && [ -n "${SECRET_KEY_FILE:-}" ] && [ ! -s "$SECRET_KEY_FILE" ]; then
    umask 077
    python -c 'import secrets; print(secrets.token_urlsafe(64))' > "$SECRET_KEY_FILE.tmp.$$"
    mv -n "$SECRET_KEY_FILE.tmp.$$" "$SECRET_KEY_FILE"
    rm -f "$SECRET_KEY_FILE.tmp.$$"
fi

case "${1:-web}" in
    web)
        python manage.py migrate --noinput
        if [ -n "${ADMIN_PASSWORD:-}" ]; then python manage.py ensure_admin; fi
        if [ "${LOAD_DEMO:-false}" = "true" ]; then python manage.py load_demo; fi
        exec gunicorn config.wsgi -c platform/gunicorn.conf.py
        ;;
    worker)
        exec celery -A config worker --loglevel=INFO --concurrency="${CELERY_CONCURRENCY:-2}"
        ;;
    beat)
        exec celery -A config beat --loglevel=INFO --schedule=/app/var/celerybeat-schedule
        ;;
    *)
        exec "$@"
        ;;
esac
