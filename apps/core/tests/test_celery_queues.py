"""Every task goes to the queue of its kind with a time limit, so a long batch
never delays the sweeps that keep holds and payments right on time."""

from django.conf import settings

from config.celery_app import app

SWEEPS = {
    "apps.reservations.tasks.reservation_expire_due_task",
    "apps.coupons.tasks.coupon_issues_expire_due_task",
    "apps.points.tasks.points_expire_due_task",
    "apps.payments.tasks.payments_reconcile_task",
}


def _queue(name: str) -> str:
    return app.amqp.router.route({}, name)["queue"].name


def test_every_project_task_is_routed_by_kind_with_a_time_limit():
    # given
    app.loader.import_default_modules()
    tasks = {name: task for name, task in app.tasks.items() if name.startswith("apps.")}

    # then
    assert set(tasks) >= SWEEPS
    for name, task in tasks.items():
        assert _queue(name) in {"sweeps", "batch", "celery"}, name
        assert 0 < task.soft_time_limit < task.time_limit, name
        assert task.time_limit < settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert {name for name in tasks if _queue(name) == "sweeps"} == SWEEPS
    assert _queue("apps.companies.tasks.settlement_chunk_task") == "batch"
    assert _queue("apps.reports.tasks.reports_build_missing_task") == "batch"


def test_every_beat_entry_names_a_routed_task():
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in settings.CELERY_TASK_ROUTES, entry["task"]
