import pytest

from apps.reservations.services import reserve, transitions
from apps.stock.holds import services as holds_services
from apps.stock.holds.portable import STORE as PORTABLE
from apps.stock.holds.postgresql import STORE as POSTGRESQL


@pytest.fixture(autouse=True, params=["postgresql", "portable"])
def reservation_store(request, monkeypatch):
    """Every reservation test runs through both hold stores on PostgreSQL: the
    prepared statements with their one-step paths, and the portable ORM store
    (the locked path only) that the embedded default runs, so the two give the
    same answers and keep the same invariants."""
    store = {"postgresql": POSTGRESQL, "portable": PORTABLE}[request.param]
    for module in (holds_services, reserve, transitions):
        monkeypatch.setattr(module, "holds_store", lambda: store)
    return store
