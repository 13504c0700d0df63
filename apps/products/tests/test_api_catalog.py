"""The catalog over HTTP: /api/v1/products/ and /api/v1/warehouses/ (API.md "Catalog")."""

import uuid
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone

from apps.core.tests.helpers import assert_envelope
from apps.ledger.models import StockMovement
from apps.products.models import Product, ProductStatus, Warehouse
from apps.products.tests.helpers import ProductFactory, WarehouseFactory
from apps.stock.tests.helpers import hold, stock_of

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products/"
WAREHOUSES = "/api/v1/warehouses/"
ORDERINGS = ["name", "-name", "price", "-price", "created_at", "-created_at"]


def product_url(product_id) -> str:
    return f"{PRODUCTS}{product_id}/"


def warehouse_url(warehouse_id) -> str:
    return f"{WAREHOUSES}{warehouse_id}/"


def ids_of(response) -> list[str]:
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


# --- list: public, default order, filters ---------------------------------------------


@pytest.mark.usefixtures("product_page_path")
def test_product_list_is_public_and_paginated(api_client):
    # given
    product = ProductFactory()
    # when
    response = api_client.get(PRODUCTS)
    # then
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    assert body["next"] is None and body["previous"] is None
    assert [row["id"] for row in body["results"]] == [str(product.id)]
    row = body["results"][0]
    assert row["sku"] == product.sku
    assert row["price"] == "100.00"


@pytest.mark.usefixtures("product_page_path")
def test_product_list_orders_newest_first_by_default(api_client):
    # given products created at distinct times, inserted out of order
    now = timezone.now()
    middle = ProductFactory(created_at=now - timedelta(hours=1))
    newest = ProductFactory(created_at=now)
    oldest = ProductFactory(created_at=now - timedelta(days=1))
    # when
    response = api_client.get(PRODUCTS)
    # then
    assert ids_of(response) == [str(newest.id), str(middle.id), str(oldest.id)]


@pytest.mark.usefixtures("product_page_path")
def test_product_list_returns_20_rows_per_page_by_default(api_client):
    # given
    ProductFactory.create_batch(21)
    # when
    body = api_client.get(PRODUCTS).json()
    # then
    assert len(body["results"]) == 20
    assert body["next"] is not None


@pytest.mark.usefixtures("product_page_path")
def test_product_list_filters_by_status(api_client):
    # given
    active = ProductFactory(status=ProductStatus.ACTIVE)
    inactive = ProductFactory(status=ProductStatus.INACTIVE)
    discontinued = ProductFactory(status=ProductStatus.DISCONTINUED)
    # when / then
    assert ids_of(api_client.get(PRODUCTS, {"status": "inactive"})) == [str(inactive.id)]
    assert ids_of(api_client.get(PRODUCTS, {"status": "active"})) == [str(active.id)]
    assert ids_of(api_client.get(PRODUCTS, {"status": "discontinued"})) == [str(discontinued.id)]


@pytest.mark.usefixtures("product_page_path")
def test_product_list_filters_by_min_and_max_price_inclusive(api_client):
    # given
    cheap = ProductFactory(price=Decimal("5.00"))
    mid = ProductFactory(price=Decimal("10.00"))
    dear = ProductFactory(price=Decimal("20.00"))
    # when
    at_least_10 = set(ids_of(api_client.get(PRODUCTS, {"min_price": "10"})))
    at_most_10 = set(ids_of(api_client.get(PRODUCTS, {"max_price": "10.00"})))
    between = set(ids_of(api_client.get(PRODUCTS, {"min_price": "6", "max_price": "19.99"})))
    # then
    assert at_least_10 == {str(mid.id), str(dear.id)}
    assert at_most_10 == {str(cheap.id), str(mid.id)}
    assert between == {str(mid.id)}


@pytest.mark.usefixtures("product_page_path")
def test_product_list_filters_by_exact_sku(api_client):
    # given
    wanted = ProductFactory(sku="ABC-1")
    ProductFactory(sku="ABC-10")
    ProductFactory(sku="XABC-1")
    # when
    response = api_client.get(PRODUCTS, {"sku": "ABC-1"})
    # then
    assert ids_of(response) == [str(wanted.id)]


@pytest.mark.usefixtures("product_page_path")
def test_product_list_q_finds_stemmed_word_in_name(api_client):
    # given
    chairs = ProductFactory(name="Oak Chairs", description="Sturdy seating.")
    ProductFactory(name="Steel Table", description="Sturdy furniture.")
    # when
    by_stem = ids_of(api_client.get(PRODUCTS, {"q": "chair"}))
    by_other_word = ids_of(api_client.get(PRODUCTS, {"q": "oak"}))
    by_absent_word = ids_of(api_client.get(PRODUCTS, {"q": "sofa"}))
    # then
    assert by_stem == [str(chairs.id)]
    assert by_other_word == [str(chairs.id)]
    assert by_absent_word == []


@pytest.mark.usefixtures("product_page_path")
def test_product_list_q_excludes_words_with_websearch_minus(api_client):
    # given
    oak = ProductFactory(name="Oak Chair", description="")
    pine = ProductFactory(name="Pine Chair", description="")
    ProductFactory(name="Oak Table", description="")
    # when
    with_minus = ids_of(api_client.get(PRODUCTS, {"q": "chair -oak"}))
    without_minus = set(ids_of(api_client.get(PRODUCTS, {"q": "chair"})))
    # then
    assert with_minus == [str(pine.id)]
    assert without_minus == {str(oak.id), str(pine.id)}


@pytest.mark.usefixtures("product_page_path")
def test_product_list_q_matches_description(api_client):
    # given
    lamp = ProductFactory(name="Desk Lamp", description="Brushed walnut finish.")
    ProductFactory(name="Floor Lamp", description="Painted steel.")
    # when
    response = api_client.get(PRODUCTS, {"q": "walnut"})
    # then
    assert ids_of(response) == [str(lamp.id)]


@pytest.mark.usefixtures("product_page_path")
def test_product_list_combines_filters(api_client):
    # given
    wanted = ProductFactory(name="Oak Chair", price=Decimal("50.00"), status="active")
    ProductFactory(name="Oak Chair Deluxe", price=Decimal("500.00"), status="active")
    ProductFactory(name="Oak Chair Old", price=Decimal("50.00"), status="discontinued")
    ProductFactory(name="Steel Stool", price=Decimal("50.00"), status="active")
    # when
    response = api_client.get(
        PRODUCTS, {"q": "chair", "status": "active", "min_price": "10", "max_price": "100"}
    )
    # then
    assert ids_of(response) == [str(wanted.id)]


@pytest.mark.usefixtures("product_page_path")
def test_product_list_ignores_unknown_query_parameters(api_client):
    # given
    product = ProductFactory()
    # when
    response = api_client.get(PRODUCTS, {"colour": "red", "foo": "bar", "page": "2"})
    # then
    assert ids_of(response) == [str(product.id)]


# --- ordering -----------------------------------------------------------------------


@pytest.mark.parametrize("ordering", ORDERINGS)
@pytest.mark.usefixtures("product_page_path")
def test_product_list_sorts_by_each_ordering(api_client, ordering):
    # given products whose names, prices and creation times disagree, with ties
    now = timezone.now()
    rows = [
        ("Delta", "30.00", 3),
        ("Alpha", "10.00", 5),
        ("Charlie", "30.00", 1),
        ("Bravo", "20.00", 3),
        ("Echo", "10.00", 4),
        ("Alpha", "20.00", 2),
    ]
    products = [
        ProductFactory(name=name, price=Decimal(price), created_at=now - timedelta(minutes=age))
        for name, price, age in rows
    ]
    # when
    response = api_client.get(PRODUCTS, {"ordering": ordering})
    # then
    assert ids_of(response) == expected_ids(products, ordering)


# --- bad query input --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"min_price": "abc"}, "min_price"),
        ({"min_price": "-1"}, "min_price"),
        ({"max_price": "1e20"}, "max_price"),
        ({"max_price": "-0.01"}, "max_price"),
        ({"status": "bogus"}, "status"),
        ({"ordering": "bogus"}, "ordering"),
        ({"ordering": "id"}, "ordering"),
        ({"ordering": "-id"}, "ordering"),
        ({"ordering": "description"}, "ordering"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "abc"}, "page_size"),
        ({"page_size": "-3"}, "page_size"),
        ({"cursor": "garbage"}, "cursor"),
        ({"cursor": "eyJ2IjoxfQ"}, "cursor"),  # {"v":1}
        ({"q": "a" * 201}, "q"),
        ({"sku": "S" * 65}, "sku"),
    ],
)
@pytest.mark.usefixtures("product_page_path")
def test_product_list_returns_400_invalid_naming_the_parameter_when_input_is_bad(
    api_client, params, named
):
    # given
    ProductFactory()
    # when
    response = api_client.get(PRODUCTS, params)
    # then
    error = assert_envelope(response, 400, "invalid")
    assert named in error["details"]


@pytest.mark.usefixtures("product_page_path")
def test_product_list_returns_400_when_cursor_comes_from_another_ordering(api_client):
    # given a cursor from a page ordered by price
    ProductFactory.create_batch(3)
    first = api_client.get(PRODUCTS, {"ordering": "price", "page_size": 1}).json()
    cursor = parse_qs(urlparse(first["next"]).query)["cursor"][0]
    # when it is reused with another ordering
    response = api_client.get(PRODUCTS, {"ordering": "name", "page_size": 1, "cursor": cursor})
    # then
    error = assert_envelope(response, 400, "invalid")
    assert "cursor" in error["details"]


@pytest.mark.usefixtures("product_page_path")
def test_product_list_accepts_q_of_exactly_200_chars(api_client):
    # given
    ProductFactory()
    # when
    response = api_client.get(PRODUCTS, {"q": "a" * 200})
    # then
    assert response.status_code == 200


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


# --- warehouses -------------------------------------------------------------------------


def test_warehouse_list_is_public_and_ordered_by_priority(api_client):
    # given
    second = WarehouseFactory(code="B-1", priority=20)
    third = WarehouseFactory(code="C-1", priority=30)
    first = WarehouseFactory(code="A-1", priority=10)
    # when
    response = api_client.get(WAREHOUSES)
    # then
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    assert [row["id"] for row in body["results"]] == [first.id, second.id, third.id]


def test_warehouse_create_by_staff_returns_201_with_code_upper_cased(staff_client):
    # when
    response = staff_client.post(
        WAREHOUSES,
        {"code": "sel-1", "name": "Seoul 1", "priority": 5, "is_active": False},
        format="json",
    )
    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["code"] == "SEL-1"
    assert (body["name"], body["priority"], body["is_active"]) == ("Seoul 1", 5, False)
    assert Warehouse.objects.get(pk=body["id"]).code == "SEL-1"


@pytest.mark.parametrize("code", ["SEL-1", "sel-1", "Sel-1"])
def test_warehouse_create_returns_400_when_code_exists_in_any_case(staff_client, code):
    # given
    WarehouseFactory(code="SEL-1")
    # when
    response = staff_client.post(WAREHOUSES, {"code": code, "name": "Again"}, format="json")
    # then
    error = assert_envelope(response, 400, "invalid")
    assert "code" in error["details"]
    assert Warehouse.objects.count() == 1


def test_warehouse_create_by_customer_returns_403(user_client):
    # when
    response = user_client.post(WAREHOUSES, {"code": "SEL-1", "name": "Seoul"}, format="json")
    # then
    assert_envelope(response, 403, "permission_denied")
    assert Warehouse.objects.count() == 0


@pytest.mark.parametrize("code", ["SEL 1", "S E L", "SEL\t1", "SEL_1", "", "W" * 33])
def test_warehouse_create_returns_400_when_code_is_malformed(staff_client, code):
    # when
    response = staff_client.post(WAREHOUSES, {"code": code, "name": "Seoul"}, format="json")
    # then
    error = assert_envelope(response, 400, "invalid")
    assert "code" in error["details"]
    assert Warehouse.objects.count() == 0


def test_warehouse_patch_by_staff_changes_priority(staff_client):
    # given
    warehouse = WarehouseFactory(code="SEL-1", name="Seoul", priority=10)
    # when
    response = staff_client.patch(warehouse_url(warehouse.id), {"priority": 99}, format="json")
    # then
    assert response.status_code == 200, response.content
    assert response.json()["priority"] == 99
    warehouse.refresh_from_db()
    assert (warehouse.code, warehouse.name, warehouse.priority) == ("SEL-1", "Seoul", 99)


def test_warehouse_patch_by_customer_returns_403(user_client):
    # given
    warehouse = WarehouseFactory(priority=10)
    # when
    response = user_client.patch(warehouse_url(warehouse.id), {"priority": 1}, format="json")
    # then
    assert_envelope(response, 403, "permission_denied")
    warehouse.refresh_from_db()
    assert warehouse.priority == 10


def test_warehouse_detail_is_public(api_client):
    # given
    warehouse = WarehouseFactory(code="SEL-1")
    # when
    response = api_client.get(warehouse_url(warehouse.id))
    # then
    assert response.status_code == 200
    assert response.json()["code"] == "SEL-1"


def test_warehouse_detail_returns_404_when_id_is_unknown(api_client):
    # given
    warehouse = WarehouseFactory()
    # when
    response = api_client.get(warehouse_url(warehouse.id + 1000))
    # then
    assert_envelope(response, 404, "not_found")


def test_warehouse_detail_returns_4xx_when_id_overflows_bigint(staff_client):
    # given an id beyond the range of a bigint primary key
    url = warehouse_url("99999999999999999999")
    # when
    read = staff_client.get(url)
    write = staff_client.patch(url, {"priority": 1}, format="json")
    # then
    for response in (read, write):
        assert 400 <= response.status_code < 500
        assert set(response.json()) == {"error"}


# --- query counts ---------------------------------------------------------------------


@pytest.mark.usefixtures("product_page_path")
def test_product_list_page_takes_one_query(api_client, django_assert_num_queries):
    # given
    ProductFactory.create_batch(25)
    # when
    with django_assert_num_queries(1):
        response = api_client.get(PRODUCTS)
    # then
    assert len(response.json()["results"]) == 20


@pytest.mark.usefixtures("product_page_path")
def test_product_list_page_with_search_and_filters_takes_one_query(
    api_client, django_assert_num_queries
):
    # given
    ProductFactory.create_batch(25, name="Oak Chair", price=Decimal("50.00"))
    params = {"q": "chair", "status": "active", "min_price": "1", "max_price": "100"}
    # when
    with django_assert_num_queries(1):
        response = api_client.get(PRODUCTS, {**params, "ordering": "price"})
    # then
    assert len(response.json()["results"]) == 20


@pytest.mark.usefixtures("product_page_path")
def test_product_list_next_page_takes_one_query(api_client, django_assert_num_queries):
    # given
    ProductFactory.create_batch(25)
    next_url = api_client.get(PRODUCTS).json()["next"]
    # when
    with django_assert_num_queries(1):
        response = api_client.get(next_url)
    # then
    assert len(response.json()["results"]) == 5


def test_product_detail_takes_one_query(api_client, django_assert_num_queries):
    # given
    product = ProductFactory()
    # when
    with django_assert_num_queries(1):
        response = api_client.get(product_url(product.id))
    # then
    assert response.status_code == 200


def test_product_rendering_matches_drf_field_by_field_rendering():
    # given a product with every field set, read as a model and as a values() row
    from datetime import timedelta

    from django.utils import timezone
    from rest_framework import serializers

    from apps.products.models import Product
    from apps.products.serializers import PRODUCT_FIELDS, ProductOutputSerializer

    now = timezone.now()
    product = ProductFactory(
        price="1234.50", sale_starts_at=now, sale_ends_at=now + timedelta(days=1)
    )
    product.refresh_from_db()
    row = Product.objects.values(*PRODUCT_FIELDS).get(pk=product.pk)
    serializer = ProductOutputSerializer()
    # when / then: the fast path equals DRF's generic rendering, for both inputs
    generic = serializers.ModelSerializer.to_representation(serializer, product)
    assert serializer.to_representation(product) == dict(generic)
    assert serializer.to_representation(row) == dict(generic)


TRICKY_TEXTS = [
    'Say "hi" \\ and /back/',
    "line\nbreak\ttab\x01\x1f\x7f",
    "Crème brûlée ☕ 🪑 中文",
    "line\u2028separator\u2029paragraph",
    "",
]


@pytest.mark.parametrize("ordering", ORDERINGS)
def test_product_list_pages_are_the_same_bytes_on_both_paths_and_as_drf_renders_them(
    api_client, ordering, monkeypatch
):
    # given products with unusual text, every field set or empty, and times with
    # and without microseconds
    from rest_framework.renderers import JSONRenderer

    from apps.products import listing
    from apps.products.serializers import ProductOutputSerializer

    now = timezone.now().replace(microsecond=123456)
    for i, text in enumerate(TRICKY_TEXTS):
        window = (
            {"sale_starts_at": now.replace(microsecond=0), "sale_ends_at": now} if i % 2 else {}
        )
        product = ProductFactory(
            name=text or "Plain",
            description=text,
            price=Decimal(["0", "0.50", "99999999.99", "12", "1234.05"][i]),
            status=ProductStatus.INACTIVE if i == 2 else ProductStatus.ACTIVE,
            **window,
        )
        Product.objects.filter(pk=product.pk).update(
            created_at=now - timedelta(minutes=i, microseconds=0 if i % 2 else 123456 - i)
        )

    def walk() -> list:
        """Every page, two rows at a time, forward; then back from the last."""
        url, params, pages = PRODUCTS, {"ordering": ordering, "page_size": 2}, []
        while url:
            pages.append(api_client.get(url, params))
            url, params = pages[-1].json()["next"], None
        back = pages[-1].json()["previous"]
        while back:
            pages.append(api_client.get(back))
            back = pages[-1].json()["previous"]
        return pages

    # when every page is read by PostgreSQL's statement, then through the ORM
    by_sql = walk()
    monkeypatch.setattr(listing, "_page_sql", listing._page_portable)
    portable = walk()
    # then both paths answer the same bytes, links included
    assert len(by_sql) == 5
    assert [r.content for r in by_sql] == [r.content for r in portable]
    # and each page is what DRF renders from the models
    for response in by_sql:
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        body = response.json()
        products = [Product.objects.get(pk=row["id"]) for row in body["results"]]
        expected = {
            "next": body["next"],
            "previous": body["previous"],
            "results": [ProductOutputSerializer(p).data for p in products],
        }
        assert response.content == JSONRenderer().render(expected)
    # in the order the ordering promises
    forward = [row["id"] for r in by_sql[:3] for row in r.json()["results"]]
    assert forward == expected_ids(Product.objects.all(), ordering)
