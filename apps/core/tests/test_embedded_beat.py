"""The embedded default's beat: the schedule runs in a thread of the web process."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from apps.core.embedded_beat import EmbeddedBeat
from config.celery_app import app

SCHEDULE = {
    "flush": {
        "task": "apps.accounts.tasks.auth_tokens_flush_expired_task",
        "schedule": timedelta(hours=1),
    }
}


def _outstanding(user, *, expires_in: timedelta) -> OutstandingToken:
    now = timezone.now()
    return OutstandingToken.objects.create(
        user=user,
        jti=f"jti-{now.timestamp()}-{expires_in}",
        token="t",
        created_at=now,
        expires_at=now + expires_in,
    )


@pytest.mark.django_db(transaction=True)
def test_embedded_beat_runs_a_due_task_once_per_interval(user):
    # given one expired and one live refresh-token record
    _outstanding(user, expires_in=timedelta(days=-1))
    live = _outstanding(user, expires_in=timedelta(days=1))
    beat = EmbeddedBeat(app=app, schedule=SCHEDULE)
    # when the beat ticks twice within the interval
    beat.run_pending()
    beat.run_pending()
    # then the task ran once and did its work
    assert beat.runs == {"flush": 1}
    assert list(OutstandingToken.objects.values_list("pk", flat=True)) == [live.pk]


@pytest.mark.django_db(transaction=True)
def test_embedded_beat_thread_runs_the_schedule_and_stops(user):
    # given
    _outstanding(user, expires_in=timedelta(seconds=-5))
    beat = EmbeddedBeat(app=app, schedule=SCHEDULE, tick_seconds=0.05)
    # when
    beat.start()
    try:
        deadline = timezone.now() + timedelta(seconds=10)
        while beat.runs["flush"] == 0 and timezone.now() < deadline:
            beat.join(0.05)
    finally:
        beat.stop()
        beat.join(5)
    # then
    assert beat.runs["flush"] == 1
    assert not beat.is_alive()
    assert OutstandingToken.objects.count() == 0


def test_embedded_beat_knows_every_task_of_the_real_schedule(settings):
    beat = EmbeddedBeat(app=app, schedule=settings.CELERY_BEAT_SCHEDULE)
    for entry in beat.entries.values():
        assert entry["task"] in app.tasks
