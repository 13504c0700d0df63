"""Before any test: the suite needs the real PostgreSQL and Redis. Say so clearly."""

import pytest


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
