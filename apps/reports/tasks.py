from dataclasses import asdict

from celery import shared_task

from .services import reports_build_missing, stock_alerts_sweep


@shared_task(name="apps.reports.tasks.reports_build_missing_task")
def reports_build_missing_task() -> list[str]:
    return [f"{built.kind} {built.date}: {built.rows} rows" for built in reports_build_missing()]


@shared_task(name="apps.reports.tasks.stock_alerts_sweep_task")
def stock_alerts_sweep_task() -> dict:
    return asdict(stock_alerts_sweep())
