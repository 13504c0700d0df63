"""Every failure point of a payment, injected deterministically: after the
reconciler, exactly the state a user expects, the audit clean (after every
test), no charge without a paid order and no paid order without a charge."""

from datetime import timedelta
from decimal import Decimal

import pytest

from apps.coupons.models import CouponIssue
from apps.points.selectors import points_balance_get
from apps.stock.models import Reservation, Stock

from ..models import Order, Payment, PaymentAttempt
from ..services.reconcile import payments_reconcile
from .helpers import charges, coupon_for, points_for, shop_with_hold

pytestmark = pytest.mark.django_db(transaction=True)

NOW = timedelta(0)


def _checkout(shop, token, key=None, **fields):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return shop.client.post(
        "/api/v1/orders/", shop.body(payment_token=token, **fields), format="json", **headers
    )


def test_no_answer_in_time_leaves_the_payment_pending_and_charges_nothing():
    # given a hold, points and a coupon; the gateway does not answer in time
    shop = shop_with_hold(price="20.00", quantity=2)
    points_for(shop.user, free=5)
    issue = coupon_for(shop.user, discount_amount=Decimal("10.00"))
    response = _checkout(shop, "tok_timeout", coupon_code=issue.code, points=5)
    # then 202 with the order, pending; the hold is kept alive
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["status"], body["payment"]["status"]) == ("pending_payment", "pending")
    assert Reservation.objects.get().status == "pending"
    order_url = f"/api/v1/orders/{body['id']}/"
    assert shop.client.get(order_url).json()["status"] == "pending_payment"
    # when the reconciler asks the gateway, which has no charge
    done = payments_reconcile(older_than=NOW)
    # then the payment failed and everything came back; the hold is still there
    assert (done.failed, done.paid) == (1, 0)
    assert shop.client.get(order_url).json()["status"] == "payment_failed"
    assert points_balance_get(user_id=shop.user.pk).free == 5
    assert CouponIssue.objects.get().status == "issued"
    assert Reservation.objects.get().status == "pending" and charges() == 0
    assert list(PaymentAttempt.objects.values_list("operation", "outcome")) == [
        ("charge", "unknown"),
        ("lookup", "not_found"),
    ]


def test_a_charge_whose_answer_was_lost_is_found_and_the_order_paid():
    shop = shop_with_hold(price="20.00", quantity=2)
    response = _checkout(shop, "tok_charge_then_fail", key="k-1")
    assert response.status_code == 202
    assert charges(status="approved") == 1 and Payment.objects.get().status == "pending"
    done = payments_reconcile(older_than=NOW)
    assert done.paid == 1
    order = Order.objects.get()
    assert order.status == "paid" and Payment.objects.get().status == "paid"
    assert Reservation.objects.get().status == "confirmed"
    assert sum(s.on_hand for s in Stock.objects.all()) == 8
    # a retry with the key replays (the key is complete), charging nothing more
    retry = _checkout(shop, "tok_charge_then_fail", key="k-1")
    assert retry.status_code == 202 and retry["Idempotent-Replayed"] == "true"
    assert charges() == 1


def test_a_retry_while_the_answer_is_unknown_is_not_a_second_payment():
    shop = shop_with_hold()
    assert _checkout(shop, "tok_timeout").status_code == 202
    again = _checkout(shop, "tok_approve")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "payment_in_progress")
    assert Payment.objects.count() == 1 and charges() == 0


def test_the_reconciler_leaves_a_recent_payment_to_its_request():
    shop = shop_with_hold()
    _checkout(shop, "tok_timeout")
    done = payments_reconcile(older_than=timedelta(minutes=5))
    assert (done.paid, done.failed) == (0, 0)
    assert Payment.objects.get().status == "pending"


def test_a_crash_after_the_charge_is_finished_by_the_reconciler(monkeypatch):
    # the process dies between the gateway's approval and step 3
    from ..services import checkout

    shop = shop_with_hold(price="5.00", quantity=1)

    def crash(*args, **kwargs):
        raise SystemExit("killed between the gateway and the database")

    monkeypatch.setattr(checkout, "_settle", crash)
    with pytest.raises(SystemExit):
        _checkout(shop, "tok_approve")
    monkeypatch.undo()
    assert charges(status="approved") == 1 and Payment.objects.get().status == "pending"
    assert payments_reconcile(older_than=NOW).paid == 1
    assert Order.objects.get().status == "paid"
    assert Reservation.objects.get().status == "confirmed"
