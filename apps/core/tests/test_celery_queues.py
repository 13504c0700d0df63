"""Every task goes to the queue of its kind with a time limit, so a long batch
never delays the sweeps that keep holds and payments right on time."""

import os
import socket
import subprocess
import sys

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


def test_a_send_to_a_broker_that_accepts_and_never_answers_fails_in_seconds():
    # given: a "broker" that takes the connection and never says a word
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    port = silent.getsockname()[1]
    code = (
        "import time, django; django.setup()\n"
        "from config.celery_app import app\n"
        "started = time.monotonic()\n"
        "try:\n"
        "    app.send_task('apps.core.tests.nothing')\n"
        "    print('sent')\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, time.monotonic() - started)\n"
    )

    # when: a process that is not eager (the bench settings) sends a task to it
    try:
        done = subprocess.run(
            [sys.executable, "-c", code],
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "config.settings.bench",
                "BENCH_REDIS_URL": f"redis://127.0.0.1:{port}/0",
            },
            capture_output=True,
            text=True,
            timeout=60,  # without the socket timeout it waits for ever
        )
    finally:
        silent.close()

    # then: the send fails within the timeouts, it does not hang
    outcome, *elapsed = done.stdout.split()
    assert outcome == "OperationalError", done.stdout + done.stderr
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["socket_timeout"]
    tries = 1 + settings.CELERY_TASK_PUBLISH_RETRY_POLICY["max_retries"]
    assert float(elapsed[0]) < tries * (timeout + 1)
