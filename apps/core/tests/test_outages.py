"""A dependency that is down answers 503 `service_unavailable` with Retry-After,
logged once per outage; any other database error is not an outage."""

import logging

import pytest
import redis
from django.db import IntegrityError, OperationalError, connection, transaction

from apps.accounts.models import User
from apps.accounts.tests.helpers import UserFactory
from apps.core.outages import RETRY_AFTER_SECONDS, dependency_down
from apps.core.tests.helpers import assert_envelope, client_for
from bench.stack import free_port  # a port nothing listens on: connecting is refused


class _Database:
    """The test's own connection pointed at a closed port, as if PostgreSQL were
    down, and back (nothing else is touched)."""

    def __init__(self):
        self.port = connection.settings_dict["PORT"]

    def down(self):
        connection.close()
        connection.settings_dict["PORT"] = free_port()

    def up(self):
        connection.close()
        connection.settings_dict["PORT"] = self.port


@pytest.fixture
def database():
    database = _Database()
    yield database
    database.up()


def _outage_lines(caplog) -> list[tuple[str, str]]:
    return [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "apps.outages"]


@pytest.mark.django_db(transaction=True)
def test_while_the_database_is_down_requests_get_503_logged_once_then_it_recovers(database, caplog):
    client = client_for(UserFactory())
    caplog.set_level(logging.INFO, logger="apps.outages")

    database.down()
    answers = [client.get("/api/v1/reservations/") for _ in range(5)]
    down_lines = _outage_lines(caplog)
    database.up()
    after = client.get("/api/v1/reservations/")

    for response in answers:
        error = assert_envelope(response, 503, "service_unavailable")
        assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
        assert error["details"] == {"dependency": "database", "retry_after_seconds": 5}
    assert down_lines == [("ERROR", "database unavailable: answering 503")]
    assert after.status_code == 200
    back = _outage_lines(caplog)[1:]
    assert len(back) == 1 and back[0][0] == "INFO"
    assert back[0][1].startswith("database back after") and "5 requests" in back[0][1]
    # no django.request ERROR line per refused request
    assert not [r for r in caplog.records if r.name == "django.request" and r.levelno >= 40]


@pytest.mark.django_db(transaction=True)
def test_a_write_refused_while_the_database_is_down_is_not_half_done(database):
    client = client_for(UserFactory())
    database.down()
    response = client.post(
        "/api/v1/auth/signup/",
        {
            "email": "new@example.com",
            "password": "A-long-enough-pass-1",
            "password_confirm": "A-long-enough-pass-1",
        },
        format="json",
    )
    database.up()

    assert_envelope(response, 503, "service_unavailable")
    assert not User.objects.filter(email="new@example.com").exists()


@pytest.mark.django_db(transaction=True)
def test_other_database_errors_are_not_outages():
    with (
        pytest.raises(OperationalError) as cancelled,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET LOCAL statement_timeout = '10ms'")
        cursor.execute("SELECT pg_sleep(1)")
    user = UserFactory()
    with pytest.raises(IntegrityError) as duplicate, transaction.atomic():
        UserFactory(email=user.email)

    assert cancelled.value.__cause__.sqlstate == "57014"  # query_canceled: a real error
    assert dependency_down(cancelled.value) is None
    assert dependency_down(duplicate.value) is None


def test_a_redis_that_does_not_answer_is_an_outage_of_redis():
    client = redis.Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.5)
    with pytest.raises(redis.exceptions.ConnectionError) as refused:
        client.ping()
    assert dependency_down(refused.value) == "redis"
