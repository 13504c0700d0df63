"""Creating products over HTTP: POST /api/v1/products/ (staff only)."""

import uuid
from decimal import Decimal

import pytest

from apps.core.tests.helpers import assert_envelope
from apps.products.models import Product
from apps.products.tests.helpers import (
    PRODUCTS,
    ProductFactory,
    valid_product_payload,
)

pytestmark = pytest.mark.django_db


# --- create -------------------------------------------------------------------------


def test_product_create_by_staff_returns_201_with_uuid_and_fields(staff_client):
    # given
    payload = valid_product_payload()
    # when
    response = staff_client.post(PRODUCTS, payload, format="json")
    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert uuid.UUID(body["id"])
    for field in ("sku", "name", "description", "price", "status"):
        assert body[field] == payload[field]
    assert body["sale_starts_at"].startswith("2030-01-01T00:00:00")
    assert body["sale_ends_at"].startswith("2030-02-01T00:00:00")
    product = Product.objects.get(pk=body["id"])
    assert product.sku == "OAK-CHAIR-1"
    assert product.price == Decimal("129.50")


def test_product_create_defaults_status_and_description_when_omitted(staff_client):
    # when
    response = staff_client.post(
        PRODUCTS, {"sku": "MIN-1", "name": "Minimal", "price": "1.00"}, format="json"
    )
    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "active"
    assert body["description"] == ""
    assert body["sale_starts_at"] is None and body["sale_ends_at"] is None


def test_product_create_by_customer_returns_403(user_client):
    # when
    response = user_client.post(PRODUCTS, valid_product_payload(), format="json")
    # then
    assert_envelope(response, 403, "permission_denied")
    assert Product.objects.count() == 0


def test_product_create_anonymous_returns_401(api_client):
    # when
    response = api_client.post(PRODUCTS, valid_product_payload(), format="json")
    # then
    assert_envelope(response, 401, "not_authenticated")
    assert Product.objects.count() == 0


def test_product_create_returns_400_when_sku_is_taken(staff_client):
    # given
    ProductFactory(sku="DUP-1")
    # when
    response = staff_client.post(PRODUCTS, valid_product_payload(sku="DUP-1"), format="json")
    # then
    error = assert_envelope(response, 400, "invalid")
    assert "sku" in error["details"]
    assert Product.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"price": "-0.01"}, "price"),
        ({"price": "abc"}, "price"),
        ({"price": "NaN"}, "price"),
        ({"price": "Infinity"}, "price"),
        ({"price": 1e12}, "price"),
        ({"price": "1000000000000"}, "price"),
        ({"price": "1.234"}, "price"),
        ({"price": None}, "price"),
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"name": "n" * 201}, "name"),
        ({"sku": "has space"}, "sku"),
        ({"sku": ""}, "sku"),
        ({"sku": "-leading-dash"}, "sku"),
        ({"sku": "S" * 65}, "sku"),
        ({"status": "deleted"}, "status"),
        ({"sale_starts_at": "not a date"}, "sale_starts_at"),
        (
            {"sale_starts_at": "2030-02-01T00:00:00Z", "sale_ends_at": "2030-01-01T00:00:00Z"},
            "sale_ends_at",
        ),
        (
            {"sale_starts_at": "2030-02-01T00:00:00Z", "sale_ends_at": "2030-02-01T00:00:00Z"},
            "sale_ends_at",
        ),
    ],
)
def test_product_create_returns_400_naming_the_field_when_input_is_invalid(
    staff_client, overrides, field
):
    # given
    payload = {k: v for k, v in valid_product_payload(**overrides).items() if v is not None}
    # when
    response = staff_client.post(PRODUCTS, payload, format="json")
    # then
    error = assert_envelope(response, 400, "invalid")
    assert field in error["details"]
    assert Product.objects.count() == 0


def test_product_create_returns_400_when_body_is_a_json_array(staff_client):
    # when
    response = staff_client.post(PRODUCTS, [valid_product_payload()], format="json")
    # then
    error = assert_envelope(response, 400, "invalid")
    assert error["details"]
    assert Product.objects.count() == 0
