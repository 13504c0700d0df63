"""One beat at a time, by a lock rather than by convention.

Several machines may each run `celery -A config beat` (CELERY_BEAT_SCHEDULER
names this scheduler): the one that holds a Redis lock (BEAT_LOCK_URL, key
BEAT_LOCK_KEY) sends the schedule; the others stand by and try for the lock
every third of its time to live. The holder renews it at the same pace, so when
it dies or loses Redis, another takes over within BEAT_LOCK_TTL_SECONDS and
sends at once what is due.

A beat that cannot reach the lock's Redis sends nothing (it cannot know it is
alone); availability does not depend on beat (a due hold is expired on read and
by the next reservation that needs its stock), so a beat-less while only delays
tidying up. A lock lost to a partition can leave two senders for at most one
renew period; every scheduled task is idempotent (docs/architecture.md,
"Background work"), so that costs a repeat, never a wrong result.
"""

import logging
import os
import socket
import uuid
from contextlib import suppress

import redis
from celery.beat import PersistentScheduler
from django.conf import settings

logger = logging.getLogger(__name__)

# Renew or release only a lock that is still ours (compare, then act, in Redis).
_OURS = "if redis.call('get', KEYS[1]) == ARGV[1] then return "
_RENEW = _OURS + "redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
_RELEASE = _OURS + "redis.call('del', KEYS[1]) end return 0"


class SingleBeatScheduler(PersistentScheduler):
    def __init__(self, *args, **kwargs):
        self.lock_key = settings.BEAT_LOCK_KEY
        self.lock_ttl_ms = int(settings.BEAT_LOCK_TTL_SECONDS * 1000)
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lock_store = (
            redis.Redis.from_url(settings.BEAT_LOCK_URL, socket_timeout=2, socket_connect_timeout=2)
            if settings.BEAT_LOCK_URL
            else None
        )
        self.leading = False
        self._unreachable = False
        self._told_standby = False
        super().__init__(*args, **kwargs)
        if self.lock_store is None:
            logger.warning("BEAT_LOCK_URL is not set: nothing stops a second beat from sending")

    @property
    def renew_every(self) -> float:
        return self.lock_ttl_ms / 3000

    def tick(self, *args, **kwargs):
        if not self.lead():
            return self.renew_every
        return min(super().tick(*args, **kwargs), self.renew_every)

    def lead(self) -> bool:
        """Take or keep the lock: True while this beat is the one that sends."""
        if self.lock_store is None:
            return True
        try:
            if self.leading:
                held = bool(
                    self.lock_store.eval(_RENEW, 1, self.lock_key, self.token, self.lock_ttl_ms)
                )
            else:
                held = bool(
                    self.lock_store.set(self.lock_key, self.token, nx=True, px=self.lock_ttl_ms)
                )
            if self._unreachable:
                logger.info("beat lock: Redis reachable again")
            self._unreachable = False
        except redis.RedisError as exc:
            if not self._unreachable:
                logger.warning(
                    "beat lock: Redis unreachable (%s); sending nothing until it is", exc
                )
            self._unreachable = True
            held = False
        if held and not self.leading:
            logger.info("beat lock taken (%s): this beat sends the schedule", self.token)
        elif self.leading and not held:
            logger.warning("beat lock lost (%s): standing by", self.token)
        elif not held and not self._unreachable and not self._told_standby:
            logger.info("beat lock held by %s: standing by", self._holder())
            self._told_standby = True
        self.leading = held
        return held

    def _holder(self) -> str:
        with suppress(redis.RedisError):
            holder = self.lock_store.get(self.lock_key)
            return holder.decode() if holder else "nobody"
        return "unknown"

    def close(self):
        if self.leading and self.lock_store is not None:
            with suppress(redis.RedisError):
                self.lock_store.eval(_RELEASE, 1, self.lock_key, self.token)
            self.leading = False
        super().close()
