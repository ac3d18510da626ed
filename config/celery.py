"""The Celery app.

Configuration comes from Django settings (the CELERY_ names in settings.py).
With no broker configured (REDIS_URL unset) tasks run eagerly in the calling
process, so the embedded default needs no Redis. Tasks are acknowledged late
and must be safe to run twice; enqueue them with ``delay_on_commit`` so a task
never sees a row its request has not committed.
"""

import os

from celery import Celery

from config.env import settings_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")


@app.on_configure.connect
def _stop_on_bad_environment(sender: Celery, **kwargs: object) -> None:
    # A worker or beat started with a broken environment prints the plain
    # message from config.env instead of a traceback.
    settings_or_exit()


app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
