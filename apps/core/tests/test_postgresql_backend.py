"""apps/core/postgresql: the health check skipped for a connection used moments
ago, done as Django does for an idle one or one that failed."""

import psycopg
import pytest
from django.conf import settings
from django.db import OperationalError, connection

pytestmark = pytest.mark.django_db(transaction=True)


def _direct_only() -> None:
    """Behind a transaction pooler (TEST_THROUGH_PGBOUNCER) each transaction may
    run on another server connection, and the pooler replaces a dead one itself."""
    if settings.DATABASE_TRANSACTION_POOLING:
        pytest.skip("checks one server connection; a transaction pooler changes it")


@pytest.fixture(autouse=True)
def health_checks(monkeypatch):
    """As production runs (the test settings close connections after each request
    instead); a fresh connection afterwards for the test database teardown."""
    _backend_pid()
    monkeypatch.setattr(connection, "health_check_enabled", True)
    yield
    connection.close()


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _terminate(pid: int) -> None:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


def _next_request() -> None:
    connection.health_check_done = False  # what Django does as a request starts


def test_a_connection_idle_past_the_grace_is_checked_and_replaced(settings):
    _direct_only()
    # given a connection whose server process has gone, and no grace
    settings.DATABASE_HEALTH_CHECK_IDLE_SECONDS = 0
    old = _backend_pid()
    _terminate(old)

    # when the next request queries
    _next_request()
    new = _backend_pid()

    # then the check found it dead and a new connection answered
    assert new != old


def test_a_connection_used_moments_ago_is_trusted_and_checked_after_it_fails(settings):
    _direct_only()
    # given a connection used just now, whose server process then goes
    settings.DATABASE_HEALTH_CHECK_IDLE_SECONDS = 60
    old = _backend_pid()
    _terminate(old)

    # when the next request queries, it is trusted without a check: that query fails
    _next_request()
    with pytest.raises(OperationalError):
        _backend_pid()

    # then the failure marks it, and the request after is checked and reconnected
    _next_request()
    assert _backend_pid() != old


def test_every_new_connection_gets_the_session_settings():
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('plan_cache_mode'), current_setting('jit')")
        settings_of_session = cursor.fetchone()
    if settings.DATABASE_TRANSACTION_POOLING:
        # the pooler's connect_query (deploy/pgbouncer/pgbouncer.ini); nothing is
        # prepared, so the plan cache mode does not matter
        assert settings_of_session[1] == "off"
    else:
        assert settings_of_session == ("force_generic_plan", "off")
