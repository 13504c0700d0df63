"""Cancel and refund: the money back at the gateway first, then stock, points
and coupon back to the unit; a refusal changes nothing; a lost answer is
finished by the reconciler."""

from datetime import timedelta
from decimal import Decimal

import pytest

from apps.accounts.tests.helpers import UserFactory
from apps.coupons.models import CouponIssue
from apps.ledger.models import StockMovement
from apps.points.selectors import points_balance_get
from apps.stock.models import Stock

from ..gateway import Answer, FakeGateway, GatewayTimeout, Outcome
from ..models import Order, Payment
from ..services.reconcile import payments_reconcile
from .helpers import charges, client_for, coupon_for, points_for, shop_with_hold

pytestmark = pytest.mark.django_db(transaction=True)


def _paid(shop, **fields) -> Payment:
    response = shop.client.post("/api/v1/orders/", shop.body(**fields), format="json")
    assert response.status_code == 201, response.content
    return Payment.objects.get(pk=response.json()["payment"]["id"])


def _on_hand() -> int:
    return sum(row.on_hand for row in Stock.objects.all())


def test_a_refund_puts_back_stock_points_and_coupon_to_the_unit():
    shop = shop_with_hold(price="30.00", quantity=6)  # split 5 + 1 over two rows
    points_for(shop.user, free=10, paid=10)
    issue = coupon_for(shop.user, discount_amount=Decimal("15.00"))
    payment = _paid(shop, coupon_code=issue.code, points=15)
    assert _on_hand() == 4
    response = shop.client.post(
        f"/api/v1/payments/{payment.pk}/cancel/", {"reason": "changed my mind"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["reason"]) == (
        "cancelled",
        "changed my mind",
    )
    assert response.json()["cancelled_at"]
    assert Order.objects.get().status == "refunded"
    assert _on_hand() == 10
    returned = StockMovement.objects.filter(type="return")
    confirmed = StockMovement.objects.filter(type="confirm")
    assert sorted((m.stock_id, m.on_hand_delta) for m in returned) == sorted(
        (m.stock_id, -m.on_hand_delta) for m in confirmed
    )
    balance = points_balance_get(user_id=shop.user.pk)
    assert (balance.free, balance.paid) == (10, 10)
    assert CouponIssue.objects.get().status == "issued"
    assert charges(status="refunded") == 1


def test_a_second_cancel_is_refused_and_moves_nothing():
    shop = shop_with_hold()
    payment = _paid(shop)
    url = f"/api/v1/payments/{payment.pk}/cancel/"
    assert shop.client.post(url, {}, format="json").status_code == 200
    again = shop.client.post(url, {}, format="json")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "invalid_state")
    assert StockMovement.objects.filter(type="return").count() == 1


def test_someone_elses_payment_is_not_found_but_staff_may_refund_it():
    shop = shop_with_hold()
    payment = _paid(shop)
    url = f"/api/v1/payments/{payment.pk}/cancel/"
    assert client_for(UserFactory()).post(url, {}, format="json").status_code == 404
    assert client_for(UserFactory(is_staff=True)).post(url, {}, format="json").status_code == 200


def test_a_refund_the_gateway_refuses_changes_nothing(monkeypatch):
    shop = shop_with_hold()
    payment = _paid(shop)
    monkeypatch.setattr(
        FakeGateway, "refund", lambda self, **kw: Answer(Outcome.DECLINED, detail="too late")
    )
    response = shop.client.post(f"/api/v1/payments/{payment.pk}/cancel/", {}, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (502, "refund_failed")
    payment.refresh_from_db()
    assert (payment.status, payment.refund_requested_at) == ("paid", None)
    assert Order.objects.get().status == "paid" and _on_hand() == 6


def test_a_refund_without_an_answer_is_finished_by_the_reconciler(monkeypatch):
    shop = shop_with_hold()
    payment = _paid(shop)

    def no_answer(self, **kwargs):
        raise GatewayTimeout("no answer")

    monkeypatch.setattr(FakeGateway, "refund", no_answer)
    response = shop.client.post(f"/api/v1/payments/{payment.pk}/cancel/", {}, format="json")
    assert (response.status_code, response.json()["error"]["details"]["reason"]) == (
        502,
        "gateway_timeout",
    )
    assert Payment.objects.get().status == "paid"
    monkeypatch.undo()
    assert payments_reconcile(older_than=timedelta(0)).refunded == 1
    assert Payment.objects.get().status == "cancelled"
    assert Order.objects.get().status == "refunded" and _on_hand() == 10


def test_a_crash_after_the_gateway_refunded_is_finished_by_the_reconciler(monkeypatch):
    from ..services import refund

    shop = shop_with_hold()
    payment = _paid(shop)

    def crash(**kwargs):
        raise SystemExit("killed between the gateway and the database")

    monkeypatch.setattr(refund, "payment_settle_refunded", crash)
    with pytest.raises(SystemExit):
        shop.client.post(f"/api/v1/payments/{payment.pk}/cancel/", {}, format="json")
    monkeypatch.undo()
    assert charges(status="refunded") == 1 and Payment.objects.get().status == "paid"
    assert payments_reconcile(older_than=timedelta(0)).refunded == 1
    assert Payment.objects.get().status == "cancelled" and _on_hand() == 10


def test_an_unpaid_payment_cannot_be_cancelled():
    shop = shop_with_hold()
    shop.client.post("/api/v1/orders/", shop.body(payment_token="tok_timeout"), format="json")
    payment = Payment.objects.get()
    response = shop.client.post(f"/api/v1/payments/{payment.pk}/cancel/", {}, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "invalid_state")
