import pytest


@pytest.fixture(autouse=True)
def reservation_store(hold_store):
    """Every reservation test runs through both hold stores (apps/conftest.py)."""
    return hold_store
