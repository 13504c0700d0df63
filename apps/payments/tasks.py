from dataclasses import asdict

from celery import shared_task

from .services.reconcile import payments_reconcile


@shared_task(name="apps.payments.tasks.payments_reconcile_task")
def payments_reconcile_task() -> dict:
    return asdict(payments_reconcile())
