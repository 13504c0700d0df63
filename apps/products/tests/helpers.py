"""Catalog for tests: products and warehouses, and the paths and orders of the
catalog API."""

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


PRODUCTS = "/api/v1/products/"
WAREHOUSES = "/api/v1/warehouses/"
ORDERINGS = ["name", "-name", "price", "-price", "created_at", "-created_at"]


def product_url(product_id) -> str:
    return f"{PRODUCTS}{product_id}/"


def warehouse_url(warehouse_id) -> str:
    return f"{WAREHOUSES}{warehouse_id}/"


def ids_of(response) -> list[str]:
    """The ids of a page of a list answered 200, in order."""
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def expected_ids(products, ordering: str) -> list[str]:
    """The order the API promises: the field, then the id, both in the field's direction."""
    field = ordering.lstrip("-")
    ordered = sorted(
        products, key=lambda p: (getattr(p, field), p.id), reverse=ordering.startswith("-")
    )
    return [str(p.id) for p in ordered]


def valid_product_payload(**overrides) -> dict:
    payload = {
        "sku": "OAK-CHAIR-1",
        "name": "Oak Chair",
        "description": "A solid oak dining chair.",
        "price": "129.50",
        "status": "active",
        "sale_starts_at": "2030-01-01T00:00:00Z",
        "sale_ends_at": "2030-02-01T00:00:00Z",
    }
    payload.update(overrides)
    return payload
