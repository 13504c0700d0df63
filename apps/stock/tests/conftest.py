import pytest

from apps.products.tests.helpers import ProductFactory, WarehouseFactory


@pytest.fixture
def product():
    return ProductFactory()


@pytest.fixture
def warehouse():
    return WarehouseFactory(code="SEL-1", priority=10)
