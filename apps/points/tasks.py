from celery import shared_task

from . import services


@shared_task(name="apps.points.tasks.points_expire_due_task")
def points_expire_due_task() -> int:
    return services.points_expire_due()
