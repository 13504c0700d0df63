"""One beat sends the schedule however many run (apps/core/beat.py): two real
`celery beat` processes on a Redis of their own; the one without the lock sends
nothing until the holder dies, then takes over within the lock's time to live."""

import re
import signal
import time

import redis

from bench.private import private_redis
from bench.stack import celery, kill_group

TTL_SECONDS = 3
SENT = re.compile(r"Sending due task (\S+) \((\S+)\)")


def _sent(log) -> list[str]:
    return [match.group(2) for match in SENT.finditer(log.read_text())] if log.exists() else []


def _wait_for(condition, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s")


def test_two_beats_one_sends_and_the_other_takes_over_when_the_holder_dies(tmp_path):
    with private_redis() as server:
        env = {
            "DJANGO_SETTINGS_MODULE": "config.settings.bench",
            "BENCH_REDIS_URL": f"{server.url}/0",
            "BEAT_LOCK_TTL_SECONDS": str(TTL_SECONDS),
            "EXPIRY_SWEEP_INTERVAL_SECONDS": "1",
            "LOG_DIR": str(tmp_path),
        }
        logs = [tmp_path / f"beat-{i}.log" for i in (0, 1)]
        beats = [
            celery(
                "beat",
                *("--schedule", str(tmp_path / f"schedule-{i}"), "--loglevel", "INFO"),
                env=env,
                log=logs[i],
            )
            for i in (0, 1)
        ]
        broker = redis.Redis.from_url(f"{server.url}/0")
        try:
            # when: both run for a while
            _wait_for(lambda: sum(len(_sent(log)) for log in logs) >= 6, timeout=30)
            time.sleep(2)
            counts = [len(_sent(log)) for log in logs]

            # then: exactly one sent, and every message it sent is on the broker
            leader = 0 if counts[0] else 1
            standby = 1 - leader
            assert counts[standby] == 0, counts
            assert set(_sent(logs[leader])) == {
                "apps.reservations.tasks.reservation_expire_due_task"
            }
            holder = broker.get("celery-beat:leader").decode()
            assert holder.split(":")[1] == str(beats[leader].pid), holder
            assert broker.llen("sweeps") == len(_sent(logs[leader]))

            # when: the holder dies without releasing the lock
            kill_group(beats[leader], signal.SIGKILL)
            took = _wait_for(lambda: len(_sent(logs[standby])) >= 2, timeout=TTL_SECONDS * 4)

            # then: the other took over, within the lock's time to live and one
            # renew period, and it alone sends
            assert took <= TTL_SECONDS + TTL_SECONDS / 3 + 2.5, took
            assert broker.get("celery-beat:leader").decode() != holder
        finally:
            for beat in beats:
                kill_group(beat, signal.SIGKILL)
