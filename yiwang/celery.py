"""Celery application. With REDIS_URL unset, tasks run eagerly in-process (embedded mode)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.settings")

app = Celery("yiwang")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _setup_periodic_tasks(sender: Celery, **kwargs: object) -> None:
    from yiwang.core.periodic import PERIODIC_TASKS

    for job in PERIODIC_TASKS:
        sender.add_periodic_task(job.every_seconds, job.task().s(), name=job.task_name)
