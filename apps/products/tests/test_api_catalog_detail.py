"""One product over HTTP: GET, PATCH, PUT and DELETE /api/v1/products/{id}/."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.core.tests.helpers import assert_envelope
from apps.ledger.models import StockMovement
from apps.products.models import Product
from apps.products.tests.helpers import (
    PRODUCTS,
    ProductFactory,
    WarehouseFactory,
    ids_of,
    product_url,
    valid_product_payload,
)
from apps.stock.tests.helpers import hold, stock_of

pytestmark = pytest.mark.django_db


# --- detail, update -------------------------------------------------------------------


def test_product_detail_is_public(api_client):
    # given
    product = ProductFactory(name="Oak Chair", price=Decimal("12.30"))
    # when
    response = api_client.get(product_url(product.id))
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(product.id)
    assert body["name"] == "Oak Chair"
    assert body["price"] == "12.30"


def test_product_detail_returns_404_when_id_is_unknown(api_client):
    # when
    response = api_client.get(product_url(uuid.uuid4()))
    # then
    assert_envelope(response, 404, "not_found")


def test_product_detail_returns_404_envelope_when_id_is_not_a_uuid(api_client):
    # when
    response = api_client.get(product_url("not-a-uuid"))
    # then
    assert_envelope(response, 404, "not_found")


def test_product_patch_by_staff_changes_only_given_fields(staff_client):
    # given
    product = ProductFactory(
        sku="KEEP-1", name="Oak Chair", description="Keep me.", price=Decimal("10.00")
    )
    # when
    response = staff_client.patch(product_url(product.id), {"price": "9.99"}, format="json")
    # then
    assert response.status_code == 200, response.content
    assert response.json()["price"] == "9.99"
    product.refresh_from_db()
    assert product.price == Decimal("9.99")
    assert (product.sku, product.name, product.description, product.status) == (
        "KEEP-1",
        "Oak Chair",
        "Keep me.",
        "active",
    )


def test_product_patch_returns_400_and_changes_nothing_when_a_field_is_invalid(staff_client):
    # given
    product = ProductFactory(name="Oak Chair", price=Decimal("10.00"))
    # when
    response = staff_client.patch(
        product_url(product.id), {"name": "Renamed", "price": "-5"}, format="json"
    )
    # then
    error = assert_envelope(response, 400, "invalid")
    assert "price" in error["details"]
    product.refresh_from_db()
    assert (product.name, product.price) == ("Oak Chair", Decimal("10.00"))


def test_product_patch_returns_400_when_sale_window_would_be_reversed(staff_client):
    # given a product already on sale from a start date
    start = timezone.now() + timedelta(days=10)
    product = ProductFactory(sale_starts_at=start)
    # when only the end is sent, before the stored start
    response = staff_client.patch(
        product_url(product.id),
        {"sale_ends_at": (start - timedelta(days=1)).isoformat()},
        format="json",
    )
    # then
    error = assert_envelope(response, 400, "invalid")
    assert "sale_ends_at" in error["details"]
    product.refresh_from_db()
    assert product.sale_ends_at is None


def test_product_put_by_staff_replaces_fields(staff_client):
    # given
    product = ProductFactory(sku="OLD-1", name="Old", description="old", price=Decimal("1.00"))
    payload = valid_product_payload(sku="NEW-1", name="New", status="inactive")
    # when
    response = staff_client.put(product_url(product.id), payload, format="json")
    # then
    assert response.status_code == 200, response.content
    product.refresh_from_db()
    assert (product.sku, product.name, product.description, product.price, product.status) == (
        "NEW-1",
        "New",
        payload["description"],
        Decimal("129.50"),
        "inactive",
    )


def test_product_put_returns_400_when_a_required_field_is_missing(staff_client):
    # given
    product = ProductFactory(name="Old")
    payload = valid_product_payload()
    del payload["name"]
    # when
    response = staff_client.put(product_url(product.id), payload, format="json")
    # then
    error = assert_envelope(response, 400, "invalid")
    assert "name" in error["details"]
    product.refresh_from_db()
    assert product.name == "Old"


def test_product_patch_by_customer_returns_403(user_client):
    # given
    product = ProductFactory(name="Oak Chair")
    # when
    response = user_client.patch(product_url(product.id), {"name": "Hacked"}, format="json")
    # then
    assert_envelope(response, 403, "permission_denied")
    product.refresh_from_db()
    assert product.name == "Oak Chair"


def test_product_patch_anonymous_returns_401(api_client):
    # given
    product = ProductFactory(name="Oak Chair")
    # when
    response = api_client.patch(product_url(product.id), {"name": "Hacked"}, format="json")
    # then
    assert_envelope(response, 401, "not_authenticated")


def test_product_patch_returns_400_when_sku_belongs_to_another_product(staff_client):
    # given
    ProductFactory(sku="TAKEN-1")
    product = ProductFactory(sku="MINE-1")
    # when
    response = staff_client.patch(product_url(product.id), {"sku": "TAKEN-1"}, format="json")
    # then
    error = assert_envelope(response, 400, "invalid")
    assert "sku" in error["details"]
    product.refresh_from_db()
    assert product.sku == "MINE-1"


def test_product_patch_accepts_its_own_sku(staff_client):
    # given
    product = ProductFactory(sku="MINE-1")
    # when
    response = staff_client.patch(
        product_url(product.id), {"sku": "MINE-1", "name": "Renamed"}, format="json"
    )
    # then
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Renamed"


def test_product_patch_returns_404_when_id_is_unknown(staff_client):
    # when
    response = staff_client.patch(product_url(uuid.uuid4()), {"name": "X"}, format="json")
    # then
    assert_envelope(response, 404, "not_found")


# --- delete -------------------------------------------------------------------------


def test_product_delete_hides_a_product_without_stock(staff_client, api_client):
    # given
    product = ProductFactory()
    # when
    response = staff_client.delete(product_url(product.id))
    # then it is gone from the API, and its row kept hidden (nothing can dangle)
    assert response.status_code == 204
    assert_envelope(api_client.get(product_url(product.id)), 404, "not_found")
    assert Product.objects.get(pk=product.pk).deleted_at is not None


def test_product_delete_hides_product_but_keeps_ledger_when_product_has_stock_history(
    staff_client, api_client
):
    # given
    product = ProductFactory()
    other = ProductFactory()
    stock_of(product, WarehouseFactory(), 5)
    # when
    response = staff_client.delete(product_url(product.id))
    # then
    assert response.status_code == 204
    assert_envelope(api_client.get(product_url(product.id)), 404, "not_found")
    assert ids_of(api_client.get(PRODUCTS)) == [str(other.id)]
    assert ids_of(api_client.get(PRODUCTS, {"sku": product.sku})) == []
    assert StockMovement.objects.filter(product_id=product.pk).exists()


def test_product_delete_returns_409_product_in_use_when_stock_is_reserved(staff_client, api_client):
    # given
    product = ProductFactory()
    hold(stock_of(product, WarehouseFactory(), 5), 2)
    # when
    response = staff_client.delete(product_url(product.id))
    # then
    assert_envelope(response, 409, "product_in_use")
    assert api_client.get(product_url(product.id)).status_code == 200
    assert Product.objects.filter(pk=product.pk, deleted_at__isnull=True).exists()


def test_product_delete_by_customer_returns_403(user_client):
    # given
    product = ProductFactory()
    # when
    response = user_client.delete(product_url(product.id))
    # then
    assert_envelope(response, 403, "permission_denied")
    assert Product.objects.filter(pk=product.pk).exists()


def test_product_delete_returns_404_when_already_deleted(staff_client):
    # given a product hidden by an earlier delete
    product = ProductFactory()
    stock_of(product, WarehouseFactory(), 1)
    assert staff_client.delete(product_url(product.id)).status_code == 204
    # when
    response = staff_client.delete(product_url(product.id))
    # then
    assert_envelope(response, 404, "not_found")
