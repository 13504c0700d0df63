"""Checkout over HTTP: an order from the caller's hold, coupon and points
applied, the rest charged once at the (fake) gateway."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.accounts.tests.helpers import UserFactory
from apps.coupons.models import Coupon, CouponIssue
from apps.ledger.models import StockMovement
from apps.points.selectors import points_balance_get
from apps.products.services import product_update
from apps.products.tests.helpers import ProductFactory
from apps.stock.models import Reservation, Stock

from ..models import Order, Payment
from .helpers import charges, coupon_for, make_due, points_for, shop_with_hold

pytestmark = pytest.mark.django_db(transaction=True)


def _stock() -> tuple[int, int]:
    rows = Stock.objects.all()
    return sum(r.on_hand for r in rows), sum(r.reserved for r in rows)


def test_a_card_checkout_charges_once_and_confirms_the_hold():
    shop = shop_with_hold(price="25.00", quantity=4)
    response = shop.client.post("/api/v1/orders/", shop.body(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["subtotal"], body["coupon_discount"], body["points_used"], body["total"]) == (
        "100.00",
        "0.00",
        0,
        "100.00",
    )
    assert body["status"] == "paid"
    assert body["payment"]["status"] == "paid" and body["payment"]["amount"] == "100.00"
    assert body["payment"]["method"] == "card" and body["payment"]["paid_at"]
    assert [
        (line["quantity"], line["unit_price"], line["line_total"]) for line in body["lines"]
    ] == [(4, "25.00", "100.00")]
    assert charges(status="approved") == 1
    assert Reservation.objects.get().status == "confirmed"
    assert _stock() == (6, 0)
    assert StockMovement.objects.filter(type="confirm").count() == 1


def test_coupon_and_points_come_off_the_total_points_free_first():
    shop = shop_with_hold(price="30.00", quantity=5)  # 150.00
    points_for(shop.user, free=20, paid=50)
    issue = coupon_for(shop.user, discount_amount=Decimal("40.00"))
    response = shop.client.post(
        "/api/v1/orders/", shop.body(coupon_code=issue.code, points=30), format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["subtotal"], body["coupon_discount"], body["points_used"], body["total"]) == (
        "150.00",
        "40.00",
        30,
        "80.00",
    )
    assert Payment.objects.get().amount == Decimal("80.00")
    balance = points_balance_get(user_id=shop.user.pk)
    assert (balance.free, balance.paid) == (0, 40)
    issue.refresh_from_db()
    assert (issue.status, issue.order_id) == ("redeemed", Order.objects.get().pk)


def test_points_alone_pay_a_whole_total_without_the_gateway():
    shop = shop_with_hold(price="10.00", quantity=3)
    points_for(shop.user, paid=30)
    response = shop.client.post(
        "/api/v1/orders/", shop.body(payment_method="points"), format="json"
    )
    assert response.status_code == 201, response.content
    assert (response.json()["total"], response.json()["points_used"]) == ("0.00", 30)
    assert response.json()["payment"]["status"] == "paid"
    assert charges() == 0


def test_a_declined_card_gives_everything_back_and_the_shopper_may_try_again():
    shop = shop_with_hold(price="20.00", quantity=2)
    points_for(shop.user, free=5)
    issue = coupon_for(shop.user, discount_amount=Decimal("10.00"))
    declined = shop.client.post(
        "/api/v1/orders/",
        shop.body(coupon_code=issue.code, points=5, payment_token="tok_decline"),
        format="json",
    )
    assert declined.status_code == 402, declined.content
    assert declined.json()["error"]["code"] == "payment_declined"
    assert points_balance_get(user_id=shop.user.pk).free == 5
    issue.refresh_from_db()
    assert issue.status == "issued"
    assert Reservation.objects.get().status == "pending" and _stock() == (10, 2)
    assert Payment.objects.get().status == "failed"
    # another card, the same hold and coupon
    again = shop.client.post(
        "/api/v1/orders/", shop.body(coupon_code=issue.code, points=5), format="json"
    )
    assert again.status_code == 201, again.content
    assert again.json()["total"] == "25.00"
    assert Order.objects.count() == 1 and Payment.objects.count() == 2
    assert charges(status="approved") == 1 and charges(status="declined") == 1


def test_the_order_charges_the_price_of_the_hold_not_todays():
    shop = shop_with_hold(price="9.99", quantity=2)
    product_update(product=shop.product, changes={"price": Decimal("50.00")})
    response = shop.client.post("/api/v1/orders/", shop.body(), format="json")
    assert response.status_code == 201
    assert response.json()["total"] == "19.98"


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"points": 101}, 400, "invalid"),  # more than the total
        ({"points": "5"}, 400, "invalid"),
        ({"points": -1}, 400, "invalid"),
        ({"payment_method": "cash"}, 400, "invalid"),
        ({"reservation_id": 12}, 400, "invalid"),
        ({"coupon_code": "NOPE1234"}, 409, "coupon_invalid"),
        ({"points": 10}, 409, "insufficient_points"),
    ],
)
def test_bad_input_is_refused_and_moves_nothing(fields, status, code):
    shop = shop_with_hold(price="25.00", quantity=4)
    response = shop.client.post("/api/v1/orders/", shop.body(**fields), format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert not Order.objects.exists() and not Payment.objects.exists() and charges() == 0
    assert Reservation.objects.get().status == "pending"


def test_another_users_reservation_is_not_found():
    shop = shop_with_hold()
    other = shop_with_hold()
    response = other.client.post("/api/v1/orders/", shop.body(), format="json")
    assert response.status_code == 404
    assert charges() == 0


def test_an_expired_hold_cannot_be_paid():
    shop = shop_with_hold()
    make_due(shop.reservation)
    response = shop.client.post("/api/v1/orders/", shop.body(), format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "reservation_expired")
    assert charges() == 0


def test_a_paid_reservation_is_not_paid_again():
    shop = shop_with_hold()
    assert shop.client.post("/api/v1/orders/", shop.body(), format="json").status_code == 201
    again = shop.client.post("/api/v1/orders/", shop.body(), format="json")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_paid")
    assert charges() == 1


def test_the_same_key_replays_the_order_and_charges_nothing_more():
    shop = shop_with_hold()
    headers = {"HTTP_IDEMPOTENCY_KEY": "pay-1"}
    first = shop.client.post("/api/v1/orders/", shop.body(), format="json", **headers)
    second = shop.client.post("/api/v1/orders/", shop.body(), format="json", **headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert second["Idempotent-Replayed"] == "true" and second.json() == first.json()
    assert charges() == 1


def test_a_payment_used_for_an_order_cannot_be_cancelled_as_points():
    shop = shop_with_hold(price="10.00", quantity=1)
    points_for(shop.user, free=10)
    shop.client.post("/api/v1/orders/", shop.body(payment_method="points"), format="json")
    entry = Order.objects.get().points_entry
    response = shop.client.post(f"/api/v1/points/entries/{entry.pk}/cancel/")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "invalid_state")
    assert points_balance_get(user_id=shop.user.pk).free == 0


def test_the_coupon_issue_is_held_by_the_order():
    shop = shop_with_hold()
    issue = coupon_for(shop.user, discount_amount=Decimal("5.00"))
    shop.client.post("/api/v1/orders/", shop.body(coupon_code=issue.code), format="json")
    assert CouponIssue.objects.get().status == "redeemed"


def _window_closed(issue) -> None:
    Coupon.objects.filter(pk=issue.coupon_id).update(
        starts_at=timezone.now() - timedelta(hours=2), ends_at=timezone.now() - timedelta(hours=1)
    )


def _redeemed_elsewhere(issue) -> None:
    CouponIssue.objects.filter(pk=issue.pk).update(
        status="redeemed", redeemed_at=timezone.now(), order_id=uuid.uuid4()
    )


@pytest.mark.parametrize(
    ("coupon_fields", "change", "reason"),
    [
        ({"min_order_amount": Decimal("100.01")}, None, "below_minimum"),  # the hold is 100.00
        ({"product": "another"}, None, "product_mismatch"),
        ({}, "someone_elses", "not_found"),
        ({}, _window_closed, "expired"),
        ({}, _redeemed_elsewhere, "already_redeemed"),
    ],
)
def test_a_coupon_that_does_not_apply_is_refused_and_moves_nothing(coupon_fields, change, reason):
    shop = shop_with_hold(price="25.00", quantity=4)  # 100.00
    points_for(shop.user, free=10)
    if coupon_fields.get("product") == "another":
        coupon_fields = {"product": ProductFactory()}
    owner = UserFactory() if change == "someone_elses" else shop.user
    issue = coupon_for(owner, discount_amount=Decimal("5.00"), **coupon_fields)
    if callable(change):
        change(issue)
    status_before = CouponIssue.objects.get(pk=issue.pk).status
    response = shop.client.post(
        "/api/v1/orders/", shop.body(coupon_code=issue.code, points=10), format="json"
    )
    assert response.status_code == 409, response.content
    error = response.json()["error"]
    assert (error["code"], error["details"]["reason"]) == ("coupon_invalid", reason)
    assert not Order.objects.exists() and not Payment.objects.exists() and charges() == 0
    assert CouponIssue.objects.get(pk=issue.pk).status == status_before
    assert points_balance_get(user_id=shop.user.pk).free == 10  # the points were not spent
    assert Reservation.objects.get().status == "pending" and _stock() == (10, 4)


@pytest.mark.parametrize(
    "body",
    [
        {"points": 10**30},
        {"points": 2**63},
        {"points": 1.5},
        {"points": True},
        {"reservation_id": None},
        {"reservation_id": "not-a-uuid"},
        {"reservation_id": ["x"]},
        {"payment_method": None},
        {"payment_token": "x" * 10_000},
        {"coupon_code": "C" * 10_000},
        {"coupon_code": {"code": "X"}},
    ],
)
def test_wrong_types_and_huge_values_are_400_and_move_nothing(body):
    shop = shop_with_hold(price="25.00", quantity=4)
    points_for(shop.user, free=10)
    response = shop.client.post("/api/v1/orders/", shop.body(**body), format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] in {"invalid", "validation_error", "parse_error"}
    assert not Order.objects.exists() and not Payment.objects.exists() and charges() == 0
    assert points_balance_get(user_id=shop.user.pk).free == 10


def test_a_missing_field_or_an_unknown_hold():
    shop = shop_with_hold()
    missing = shop.client.post("/api/v1/orders/", {"payment_method": "card"}, format="json")
    assert missing.status_code == 400
    assert "reservation_id" in str(missing.json()["error"]["details"])
    unknown = shop.client.post(
        "/api/v1/orders/", shop.body(reservation_id=str(uuid.uuid4())), format="json"
    )
    assert unknown.status_code == 404
    assert charges() == 0


def test_a_cancelled_hold_cannot_be_paid():
    shop = shop_with_hold()
    cancelled = shop.client.post(f"/api/v1/reservations/{shop.reservation.pk}/cancel/")
    assert cancelled.status_code == 200
    response = shop.client.post("/api/v1/orders/", shop.body(), format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] in {"reservation_expired", "invalid_state"}
    assert not Order.objects.exists() and charges() == 0
