"""Catalog for tests: products and warehouses."""

from decimal import Decimal

import factory

from apps.products.models import Product, Warehouse


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:06d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    description = "A plain test product."
    price = Decimal("100.00")


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse

    code = factory.Sequence(lambda n: f"WH-{n}")
    name = factory.Sequence(lambda n: f"Warehouse {n}")
    priority = factory.Sequence(lambda n: n * 10)
