"""Prepared statements for the few PostgreSQL statements on the hottest paths.

Django leaves psycopg's prepared statements off (poolers in transaction mode
could not follow them, DATABASES OPTIONS `prepare_threshold`) and binds
parameters on the client, so PostgreSQL parses and plans every statement anew.
For a reservation's large CTEs that costs more server time than running them.
`prepared_cursor()` binds on the server and prepares each statement on first
use, once per connection; everything else about Django's cursor stays: the
health check, error wrapping and query capture (assertNumQueries).

Each is planned once per connection, too: every new PostgreSQL connection gets
SESSION_SETTINGS. `plan_cache_mode = force_generic_plan` applies to prepared
statements only (Django's own queries are not), and these are all primary-key
and index lookups whose best plan does not depend on the values; left to
choose, PostgreSQL kept planning them anew on every execution, which was half
of its work per reservation. `jit = off`: this is OLTP, and compiling a query
costs 10-20 ms, far more than running any of ours; PostgreSQL compiles whenever
a plan's estimate passes jit_above_cost, as a generic plan's did once stale
statistics made it expect thousands of lines per reservation (24 ms of server
CPU per reserve and cancel, in a bench run, instead of 1).

Only for statements whose text is fixed (the parameters vary, not the SQL).

With DATABASE_TRANSACTION_POOLING (PgBouncer in transaction mode, whose 1.18
cannot follow a prepared statement from one server connection to the next),
neither applies: `prepared_cursor()` is Django's own cursor, and the pooler sets
`jit = off` on its server connections (deploy/pgbouncer/pgbouncer.ini), since a
SET sent here would stay on whichever server connection ran it.
"""

import psycopg
from django.conf import settings
from django.db import connection

SESSION_SETTINGS = (("plan_cache_mode", "force_generic_plan"), ("jit", "off"))


def configure_session(sender, connection, **kwargs) -> None:
    """connection_created receiver (registered in CoreConfig.ready)."""
    if connection.vendor == "postgresql" and not settings.DATABASE_TRANSACTION_POOLING:
        calls = ", ".join("set_config(%s, %s, false)" for _ in SESSION_SETTINGS)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {calls}", [v for pair in SESSION_SETTINGS for v in pair])


# psycopg prepares nothing on a connection whose threshold is None (Django's
# default), even when asked. Any number turns asking on; Django's own cursors
# bind on the client and are never prepared, so they never count toward it.
_ONLY_WHEN_ASKED = 1 << 30


class _PreparingCursor(psycopg.Cursor):
    """Server-side binding, every statement prepared (psycopg keeps the most
    recent 100 per connection)."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)


def prepared_cursor(connection=connection):
    """A Django cursor (use as a context manager) whose statements are prepared,
    on `connection` (default: the primary's).

    While queries are recorded (DEBUG, assertNumQueries, `bench --show-sql`) it
    is Django's own cursor: the same statements, unprepared, so that the record
    shows each with its values, ready to EXPLAIN. Behind a transaction pooler it
    is Django's own cursor too."""
    if connection.queries_logged or settings.DATABASE_TRANSACTION_POOLING:
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        if connection.connection.prepare_threshold is None:
            connection.connection.prepare_threshold = _ONLY_WHEN_ASKED
        cursor = _PreparingCursor(connection.connection)
    return connection.make_cursor(cursor)


def violated_constraint(exc: Exception) -> str | None:
    """The name of the constraint an IntegrityError broke: PostgreSQL names it;
    SQLite (the embedded default) only names the columns, which callers list as
    the constraint's fields ("products_product.sku")."""
    diag = getattr(exc.__cause__, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name:
        return name
    text = str(exc)
    prefix = "UNIQUE constraint failed: "
    return text[len(prefix) :] if text.startswith(prefix) else None


def advisory_xact_lock(scope: str, *, wait: bool) -> bool:
    """PostgreSQL's advisory lock on `scope` (a text, hashed to 64 bits) until the
    transaction ends: waiting for it, or trying once (False: someone holds it).
    Elsewhere (SQLite, one writer at a time) always True."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [scope])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0))", [scope])
        return bool(cursor.fetchone()[0])
