"""Creating reservations over HTTP: POST /api/v1/reservations/ (all lines or none,
by warehouse priority; idempotent with a key)."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.tests.helpers import UserFactory
from apps.core.tests.helpers import assert_envelope, client_for
from apps.ledger.models import StockMovement
from apps.products.tests.helpers import ProductFactory, WarehouseFactory
from apps.reservations.tests.helpers import (
    RESERVATIONS,
    available_units,
    post_reservation,
)
from apps.stock.models import Reservation, Stock
from apps.stock.tests.helpers import stock_of

pytestmark = pytest.mark.django_db


# --- create ------------------------------------------------------------------


def test_create_holds_stock_by_warehouse_priority(user_client, shop):
    # given
    product, first, second = shop
    # when 7 units are asked for with no warehouse named
    response = post_reservation(user_client, product, 7)
    # then the first warehouse gives all 5, the second the remaining 2
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending" and body["order_id"] == "o-1"
    assert sorted((line["warehouse"], line["quantity"]) for line in body["lines"]) == [
        ("BSN-1", 2),
        ("SEL-1", 5),
    ]
    expires = timezone.datetime.fromisoformat(body["expires_at"])
    assert timedelta(seconds=890) < expires - timezone.now() <= timedelta(seconds=900)
    assert Stock.objects.get(warehouse=first).reserved == 5
    assert Stock.objects.get(warehouse=second).reserved == 2
    assert StockMovement.objects.filter(type="reserve").count() == 2
    assert available_units(product) == 8


def test_create_takes_a_named_warehouse_only(user_client, shop):
    product, first, _second = shop
    body = {
        "order_id": "o",
        "lines": [{"product_id": str(product.pk), "quantity": 6, "warehouse": "bsn-1"}],
    }
    response = user_client.post(RESERVATIONS, body, format="json")
    assert response.status_code == 201
    assert [(line["warehouse"], line["quantity"]) for line in response.json()["lines"]] == [
        ("BSN-1", 6)
    ]
    assert Stock.objects.get(warehouse=first).reserved == 0


def test_two_lines_of_one_product_count_together(user_client, shop):
    product, _, _ = shop
    body = {
        "order_id": "o",
        "lines": [
            {"product_id": str(product.pk), "quantity": 8},
            {"product_id": str(product.pk), "quantity": 8},
        ],
    }
    error = assert_envelope(
        user_client.post(RESERVATIONS, body, format="json"), 409, "insufficient_stock"
    )
    assert error["details"] == [{"product_id": str(product.pk), "requested": 16, "available": 15}]


def test_insufficient_stock_lists_every_short_product_and_reserves_nothing(user_client, shop):
    # given a second product with 1 unit
    product, first, _ = shop
    scarce = ProductFactory()
    stock_of(scarce, first, 1)
    plenty = ProductFactory()
    stock_of(plenty, first, 100)
    body = {
        "order_id": "o",
        "lines": [
            {"product_id": str(product.pk), "quantity": 20},
            {"product_id": str(plenty.pk), "quantity": 3},
            {"product_id": str(scarce.pk), "quantity": 2},
        ],
    }
    # when
    error = assert_envelope(
        user_client.post(RESERVATIONS, body, format="json"), 409, "insufficient_stock"
    )
    # then
    assert sorted(error["details"], key=lambda d: d["requested"]) == [
        {"product_id": str(scarce.pk), "requested": 2, "available": 1},
        {"product_id": str(product.pk), "requested": 20, "available": 15},
    ]
    assert not Reservation.objects.exists()
    assert sum(Stock.objects.values_list("reserved", flat=True)) == 0


def test_duplicate_order_id_is_409_per_user(user_client, shop, user):
    product, _, _ = shop
    first = post_reservation(user_client, product, 1)
    assert first.status_code == 201
    again = post_reservation(user_client, product, 1)
    assert_envelope(again, 409, "duplicate_order_id")
    # the caller's own hold, so that a client that lost its first answer finds it
    assert again.json()["error"]["details"]["reservation_id"] == first.json()["id"]
    other = client_for(UserFactory())
    assert post_reservation(other, product, 1).status_code == 201
    # another user's reference never names the first user's hold
    assert (
        post_reservation(other, product, 1).json()["error"]["details"]["reservation_id"]
        != (first.json()["id"])
    )


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"status": "inactive"}, "status is inactive"),
        ({"sale_starts_at": timezone.now() + timedelta(days=1)}, "sale has not started"),
        ({"sale_ends_at": timezone.now() - timedelta(seconds=1)}, "sale has ended"),
    ],
)
def test_a_product_not_on_sale_is_409(user_client, shop, changes, reason):
    product, _, _ = shop
    type(product).objects.filter(pk=product.pk).update(**changes)
    error = assert_envelope(post_reservation(user_client, product, 1), 409, "product_not_on_sale")
    assert error["details"] == [{"product_id": str(product.pk), "reason": reason}]


def test_unknown_product_or_warehouse_is_404(user_client, shop):
    product, _, _ = shop
    ghost = {"order_id": "o", "lines": [{"product_id": str(uuid.uuid4()), "quantity": 1}]}
    assert_envelope(user_client.post(RESERVATIONS, ghost, format="json"), 404, "not_found")
    nowhere = {
        "order_id": "o",
        "lines": [{"product_id": str(product.pk), "quantity": 1, "warehouse": "NOPE"}],
    }
    assert_envelope(user_client.post(RESERVATIONS, nowhere, format="json"), 404, "not_found")


def _line(product_id="P", quantity=1, **extra):
    return {"product_id": product_id, "quantity": quantity, **extra}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "order_id"),
        ({"order_id": "o"}, "lines"),
        ({"order_id": "o", "lines": []}, "lines"),
        ({"order_id": "o", "lines": "x"}, "lines"),
        ({"order_id": "x" * 101, "lines": [_line()]}, "order_id"),
        ({"order_id": None, "lines": [_line()]}, "order_id"),
        ({"order_id": "o", "lines": [_line(quantity=0)]}, "lines"),
        ({"order_id": "o", "lines": [_line(quantity=-3)]}, "lines"),
        ({"order_id": "o", "lines": [_line(quantity=10**12)]}, "lines"),
        ({"order_id": "o", "lines": [_line(quantity="two")]}, "lines"),
        ({"order_id": "o", "lines": [_line(product_id="not-a-uuid")]}, "lines"),
        ({"order_id": "o", "lines": [_line(product_id=7)]}, "lines"),
        ({"order_id": "o", "lines": [{"quantity": 1}]}, "lines"),
        ({"order_id": "o", "lines": [_line()] * 101}, "lines"),
        ({"order_id": "o", "lines": [_line()], "ttl_seconds": 59}, "ttl_seconds"),
        ({"order_id": "o", "lines": [_line()], "ttl_seconds": 86401}, "ttl_seconds"),
        ({"order_id": "o", "lines": [_line()], "ttl_seconds": "x"}, "ttl_seconds"),
    ],
)
def test_bad_input_is_400_and_reserves_nothing(user_client, shop, body, field):
    # given the placeholder "P" standing for a real product's id
    product, _, _ = shop
    lines = body.get("lines")
    if isinstance(lines, list):
        body = {
            **body,
            "lines": [
                {**line, "product_id": str(product.pk)} if line.get("product_id") == "P" else line
                for line in lines
            ],
        }
    # when / then
    error = assert_envelope(user_client.post(RESERVATIONS, body, format="json"), 400, "invalid")
    assert field in error["details"]
    assert not Reservation.objects.exists()
    assert not StockMovement.objects.filter(type="reserve").exists()


def test_reservations_need_a_token(api_client, shop):
    product, _, _ = shop
    assert_envelope(post_reservation(api_client, product, 1), 401, "not_authenticated")


def test_create_is_idempotent_with_a_key(user_client, shop):
    product, _, _ = shop
    first = post_reservation(user_client, product, 2, key="cart-1")
    again = user_client.post(
        RESERVATIONS,
        {"order_id": "o-1", "lines": [{"product_id": str(product.pk), "quantity": 2}]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="cart-1",
    )
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert Reservation.objects.count() == 1
    mismatch = post_reservation(user_client, product, 3, order_id="o-1", key="cart-1")
    assert_envelope(mismatch, 422, "idempotency_key_mismatch")


def test_shortage_details_are_totals_per_product(user_client):
    # given 10 in A and none in B; 10 asked from A by name plus 1 from anywhere
    a, b = WarehouseFactory(code="A-1", priority=1), WarehouseFactory(code="B-1", priority=2)
    product = ProductFactory()
    stock_of(product, a, 10)
    stock_of(product, b, 1)
    from apps.reservations.tests.helpers import reserve as hold_units

    hold_units(product, 1, warehouse=b)
    body = {
        "order_id": "o",
        "lines": [
            {"product_id": str(product.pk), "quantity": 10, "warehouse": "A-1"},
            {"product_id": str(product.pk), "quantity": 1},
        ],
    }
    # when / then: everything asked, everything free
    error = assert_envelope(
        user_client.post(RESERVATIONS, body, format="json"), 409, "insufficient_stock"
    )
    assert error["details"] == [{"product_id": str(product.pk), "requested": 11, "available": 10}]
