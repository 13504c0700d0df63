import pytest

from apps.reservations import orm, services, sql


@pytest.fixture(autouse=True, params=["sql", "orm"])
def reservation_store(request, monkeypatch):
    """Every reservation test runs through both stores on PostgreSQL: the
    prepared statements (sql.py) and the portable ORM version (orm.py) that the
    embedded default runs, so the two give the same answers and keep the same
    invariants."""
    module = {"sql": sql, "orm": orm}[request.param]
    monkeypatch.setattr(services, "store", lambda: module)
    return module
