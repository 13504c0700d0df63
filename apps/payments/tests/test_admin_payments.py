"""The admin shows orders and payments read-only, with their gateway calls, and
lets staff refund."""

import pytest
from django.test import Client

from apps.accounts.tests.helpers import DEFAULT_PASSWORD, UserFactory

from ..models import Order, Payment
from .helpers import shop_with_hold

pytestmark = pytest.mark.django_db(transaction=True)


def _admin(**roles) -> Client:
    user = UserFactory(**roles)
    client = Client()
    assert client.login(username=user.email, password=DEFAULT_PASSWORD)
    return client


def test_staff_see_orders_and_payments_and_warehouse_admins_do_not():
    shop = shop_with_hold()
    shop.client.post("/api/v1/orders/", shop.body(), format="json")
    payment = Payment.objects.get()
    staff = _admin(is_staff=True)
    assert staff.get("/admin/payments/order/").status_code == 200
    assert staff.get(f"/admin/payments/order/{Order.objects.get().pk}/change/").status_code == 200
    page = staff.get(f"/admin/payments/payment/{payment.pk}/change/")
    assert page.status_code == 200 and b"Approved" in page.content  # its gateway call
    assert _admin(is_warehouse_admin=True).get("/admin/payments/order/").status_code == 403


def test_staff_refund_from_the_admin():
    shop = shop_with_hold()
    shop.client.post("/api/v1/orders/", shop.body(), format="json")
    payment = Payment.objects.get()
    response = _admin(is_staff=True).post(
        "/admin/payments/payment/",
        {"action": "refund", "_selected_action": [str(payment.pk)]},
        follow=True,
    )
    assert response.status_code == 200 and b"1 payment(s) refunded." in response.content
    assert Payment.objects.get().status == "cancelled" and Order.objects.get().status == "refunded"
