import pytest

from apps.products.tests.helpers import ProductFactory, WarehouseFactory
from apps.stock.tests.helpers import stock_of


@pytest.fixture(autouse=True)
def reservation_store(hold_store):
    """Every reservation test runs through both hold stores (apps/conftest.py)."""
    return hold_store


@pytest.fixture
def shop():
    """Two warehouses by priority and a product stocked 5 + 10."""
    first = WarehouseFactory(code="SEL-1", priority=1)
    second = WarehouseFactory(code="BSN-1", priority=2)
    product = ProductFactory()
    stock_of(product, first, 5)
    stock_of(product, second, 10)
    return product, first, second
