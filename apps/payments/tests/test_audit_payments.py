"""The payments audit finds what it promises to (each check can fail)."""

import pytest

from apps.core.audit import run_audit

from ..models import FakeGatewayCharge, Order
from .helpers import shop_with_hold

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.no_audit]


def _paid_order():
    shop = shop_with_hold()
    assert shop.client.post("/api/v1/orders/", shop.body(), format="json").status_code == 201
    assert not any(run_audit().values())
    return Order.objects.get()


def test_a_paid_payment_without_its_charge_at_the_gateway_is_reported():
    order = _paid_order()
    FakeGatewayCharge.objects.all().delete()
    found = run_audit()["payments: one charge at the gateway per paid payment (fake gateway)"]
    assert found == [f"payment {order.latest_payment.pk} is paid without a charge at the gateway"]


def test_a_charge_nobody_paid_for_is_reported():
    order = _paid_order()
    FakeGatewayCharge.objects.update(reference="someone-else")
    found = run_audit()["payments: one charge at the gateway per paid payment (fake gateway)"]
    assert found == [
        "gateway charge someone-else is approved but our payment is none",
        f"payment {order.latest_payment.pk} is paid without a charge at the gateway",
    ]


def test_a_paid_order_whose_hold_is_not_confirmed_is_reported():
    from apps.stock.models import Reservation

    order = _paid_order()
    Reservation.objects.filter(pk=order.reservation_id).update(status="cancelled")
    found = run_audit()["payments: a paid order is confirmed and paid for its total"]
    assert found == [
        f"order {order.pk}: paid, but its reservation is cancelled and 1 payments are paid "
        "for its total"
    ]
