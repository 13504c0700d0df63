"""Celery beat for the embedded default: runs CELERY_BEAT_SCHEDULE in a thread.

With no broker configured there is no worker or beat process; `manage.py serve`
starts this thread so expiry sweeps and other periodic work still happen. Each
due task runs in-process through Celery's `apply()`, exactly as a worker would
run it, and the thread closes its database connection after every run.
"""

import logging
import threading
from datetime import datetime

from celery.schedules import maybe_schedule
from django.db import close_old_connections, connections

logger = logging.getLogger(__name__)


class EmbeddedBeat(threading.Thread):
    def __init__(self, *, app, schedule: dict, tick_seconds: float = 0.5) -> None:
        super().__init__(name="embedded-beat", daemon=True)
        self.app = app
        self.tick_seconds = tick_seconds
        # A worker imports every app's tasks module at start (autodiscovery); so must
        # we. An unknown task name then fails here, at start, not silently later.
        app.loader.import_default_modules()
        self.entries = {
            name: {
                **entry,
                "schedule": maybe_schedule(entry["schedule"], app=app),
                "callable": app.tasks[entry["task"]],
            }
            for name, entry in schedule.items()
        }
        self.last_run: dict[str, datetime] = {}
        self.runs: dict[str, int] = dict.fromkeys(self.entries, 0)
        self._stop_event = threading.Event()

    def stop(self) -> None:
        self._stop_event.set()

    def run_pending(self) -> None:
        """Run every entry that is due now (an entry never run before is due)."""
        for name, entry in self.entries.items():
            schedule = entry["schedule"]
            last = self.last_run.get(name)
            if last is not None and not schedule.is_due(last).is_due:
                continue
            self.last_run[name] = schedule.now()
            try:
                entry["callable"].apply(
                    args=entry.get("args", ()), kwargs=entry.get("kwargs", {}), throw=True
                )
                self.runs[name] += 1
            except Exception:
                logger.exception("embedded beat task failed", extra={"task": entry["task"]})
            finally:
                close_old_connections()

    def run(self) -> None:
        logger.info("embedded beat started", extra={"entries": sorted(self.entries)})
        try:
            while not self._stop_event.is_set():
                self.run_pending()
                self._stop_event.wait(self.tick_seconds)
        finally:
            connections.close_all()
