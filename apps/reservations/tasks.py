from celery import shared_task

from . import services


@shared_task(name="apps.reservations.tasks.reservation_expire_due_task")
def reservation_expire_due_task() -> int:
    return services.reservation_expire_due()
