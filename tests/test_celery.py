"""Celery: tasks run after commit, eagerly without a broker, and in a real worker over Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from cms.models import WorkerHeartbeat
from cms.tasks import heartbeat
from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent


def test_tasks_are_acknowledged_late_and_discovered():
    assert celery_app.conf.task_acks_late is True
    assert celery_app.conf.task_reject_on_worker_lost is True
    assert celery_app.conf.worker_prefetch_multiplier == 1
    celery_app.loader.import_default_modules()
    assert "cms.tasks.heartbeat" in celery_app.tasks
    assert settings.CELERY_BEAT_SCHEDULE["worker-heartbeat"]["task"] == "cms.tasks.heartbeat"


def test_task_enqueued_in_a_transaction_runs_only_after_commit(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        heartbeat.delay_on_commit(name="after-commit")
        assert not WorkerHeartbeat.objects.filter(name="after-commit").exists()
    assert len(callbacks) == 1
    assert WorkerHeartbeat.objects.get(name="after-commit").beats == 1


def test_task_from_a_rolled_back_transaction_never_runs(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        heartbeat.delay_on_commit(name="rolled-back")
        raise RuntimeError("the request failed")
    assert not WorkerHeartbeat.objects.filter(name="rolled-back").exists()


def test_running_the_heartbeat_twice_is_safe(db):
    heartbeat.delay(name="twice")
    heartbeat.delay(name="twice")
    beat = WorkerHeartbeat.objects.get(name="twice")
    assert beat.beats == 2
    assert WorkerHeartbeat.objects.filter(name="twice").count() == 1


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for the database this test run uses (the test database)."""
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    auth = settings_dict["USER"] + (f":{settings_dict['PASSWORD']}" if settings_dict["PASSWORD"] else "")
    host = settings_dict["HOST"] or "localhost"
    port = settings_dict["PORT"] or 5432
    return f"postgres://{auth}@{host}:{port}/{settings_dict['NAME']}"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_runs_a_task_sent_through_redis():
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("REDIS_URL is not set; .ci/run sets it, so CI proves the broker path")
    queue = f"test-{uuid.uuid4().hex[:12]}"
    env = {**os.environ, "DATABASE_URL": database_url(connection.settings_dict), "REDIS_URL": redis_url}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--queues", queue,
         "--hostname", f"{queue}@%h", "--without-gossip", "--without-mingle", "--loglevel=INFO"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    celery_app.conf.task_always_eager = False
    try:
        heartbeat.apply_async(kwargs={"name": queue}, queue=queue)
        beat = None
        deadline = time.monotonic() + 60
        while beat is None and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.2)
            beat = WorkerHeartbeat.objects.filter(name=queue).first()
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
    assert beat is not None, f"the worker did not run the task:\n{output[-3000:]}"
    # The worker's own node name proves the task ran there, not in this process.
    assert beat.hostname.startswith(f"{queue}@"), beat.hostname
    assert "cms.tasks.heartbeat" in output and "succeeded" in output
