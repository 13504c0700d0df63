"""Before any test: the suite needs the real PostgreSQL and Redis. Say so clearly.

TEST_THROUGH_PGBOUNCER=true runs the suite through a PgBouncer of its own in
transaction mode (bench/private.py), as production runs behind one: the test
database is made directly, then every connection of the tests, and of the
servers and workers they start, goes through the pooler."""

import os

import pytest

THROUGH_PGBOUNCER = os.environ.get("TEST_THROUGH_PGBOUNCER", "").lower() == "true"


def _unreachable_services() -> list[str]:
    import psycopg
    import redis
    from django.conf import settings

    problems = []
    db = settings.DATABASES["default"]
    try:
        psycopg.connect(
            host=db.get("HOST") or "127.0.0.1",
            port=int(db.get("PORT") or 5432),
            user=db.get("USER") or "postgres",
            password=db.get("PASSWORD") or None,
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except Exception as exc:
        problems.append(
            f"PostgreSQL at {db.get('HOST')}:{db.get('PORT') or 5432} (user {db.get('USER')}): "
            f"{exc}".strip()
        )
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        problems.append(f"Redis at {settings.REDIS_URL}: {exc}")
    return problems


def pytest_sessionstart(session: pytest.Session) -> None:
    problems = _unreachable_services()
    if problems:
        pytest.exit(
            "The test suite runs against the real PostgreSQL and Redis, and cannot reach:\n  - "
            + "\n  - ".join(problems)
            + "\nStart them (see README, 'Tests') or point TEST_DATABASE_URL / TEST_REDIS_URL "
            "at running servers.",
            returncode=3,
        )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    if not THROUGH_PGBOUNCER:
        yield
        return
    from django.conf import settings
    from django.db import connections

    from bench.private import private_pgbouncer

    database = connections["default"].settings_dict
    direct = (database["HOST"], database["PORT"])
    with private_pgbouncer(
        upstream_port=int(database["PORT"] or 5432), upstream_host=database["HOST"] or "127.0.0.1"
    ) as bouncer:
        connections.close_all()
        database["HOST"], database["PORT"] = "127.0.0.1", str(bouncer.port)
        database["DISABLE_SERVER_SIDE_CURSORS"] = True
        settings.DATABASE_TRANSACTION_POOLING = True
        try:
            yield
        finally:
            connections.close_all()
            database["HOST"], database["PORT"] = direct
            settings.DATABASE_TRANSACTION_POOLING = False
