"""Celery wrappers of the settlement services. They run on the `batch` queue
(CELERY_TASK_ROUTES), so a month's settlement never delays the expiry sweeps or
the payment reconciler on `sweeps`; like every task, a chunk is acknowledged
after it runs and goes back to the queue if its worker is killed."""

import logging

from celery import shared_task
from django.conf import settings

from .periods import is_closed, previous_period
from .services import (
    AlreadySettled,
    settlement_chunk_failed,
    settlement_chunk_process,
    settlement_run_start,
    settlement_runs_resume,
)

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    name="apps.companies.tasks.settlement_chunk_task",
)
def settlement_chunk_task(self, chunk_id: int) -> bool:
    try:
        return settlement_chunk_process(chunk_id=chunk_id)
    except Exception as exc:
        final = self.request.retries + 1 >= settings.SETTLEMENT_CHUNK_MAX_ATTEMPTS
        settlement_chunk_failed(chunk_id=chunk_id, error=repr(exc), final=final)
        if final:
            logger.exception("settlement chunk %s failed for good", chunk_id)
            return False
        raise self.retry(exc=exc, countdown=2**self.request.retries) from exc


@shared_task(name="apps.companies.tasks.settlement_previous_month_task")
def settlement_previous_month_task() -> str:
    """Beat, hourly on the 1st of each month: settle the month before, once it
    has closed (a no-op once its run is running or done)."""
    period = previous_period()
    if not is_closed(period):
        return f"{period} has not closed yet"
    try:
        run = settlement_run_start(period=period, requested_by_id=None)
    except AlreadySettled:
        return f"{period} is settled already"
    return f"{period}: run {run.pk} ({run.status})"


@shared_task(name="apps.companies.tasks.settlement_runs_resume_task")
def settlement_runs_resume_task() -> int:
    return settlement_runs_resume()
