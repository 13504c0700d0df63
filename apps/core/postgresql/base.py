"""Django's PostgreSQL backend with a cheaper health check for persistent connections.

With CONN_HEALTH_CHECKS, Django sends `SELECT 1` before the first query of every
request: one more round trip per request, a tenth of a reservation's. A
connection that carried a query less than DATABASE_HEALTH_CHECK_IDLE_SECONDS
ago is trusted instead, as PgBouncer trusts one for `server_check_delay`; an
idler one is checked as before. A connection that failed during a request is
still checked (and closed if broken) when the request ends, as Django does.
0 restores Django's check before every request.
"""

import time

from django.conf import settings
from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    used_at = float("-inf")  # monotonic time of the last query (its cursor)

    def ensure_connection(self):
        # Called before every cursor is made, so before every query.
        super().ensure_connection()
        self.used_at = time.monotonic()

    def close_if_health_check_failed(self):
        recently_used = (
            time.monotonic() - self.used_at < settings.DATABASE_HEALTH_CHECK_IDLE_SECONDS
        )
        if self.connection is not None and recently_used and not self.errors_occurred:
            self.health_check_done = True
            return
        super().close_if_health_check_failed()
