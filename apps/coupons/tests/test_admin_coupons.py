"""Admin pages: staff create and edit drops through the services; issues are read-only."""

import pytest

from apps.accounts.tests.helpers import UserFactory
from apps.core.tests.helpers import admin_session
from apps.coupons import cache as coupon_cache
from apps.coupons.models import Coupon
from apps.coupons.services import coupon_issue
from apps.coupons.tests.helpers import CouponFactory

pytestmark = pytest.mark.django_db


def _form(coupon=None, **overrides):
    values = {
        "name": "Admin drop",
        "discount_amount": "500.00",
        "discount_rate": "",
        "total_quantity": "3",
        "starts_at_0": "2026-01-01",
        "starts_at_1": "00:00:00",
        "ends_at_0": "2036-01-01",
        "ends_at_1": "00:00:00",
        "product": "",
        "min_order_amount": "",
    }
    if coupon is not None:
        values.update(name=coupon.name, total_quantity=str(coupon.total_quantity))
    values.update(overrides)
    return values


@pytest.mark.parametrize(
    ("roles", "url", "status"),
    [
        ({"is_staff": True}, "/admin/coupons/coupon/", 200),
        ({"is_staff": True}, "/admin/coupons/coupon/add/", 200),
        ({"is_staff": True}, "/admin/coupons/couponissue/", 200),
        ({"is_staff": True}, "/admin/coupons/couponissue/add/", 403),
        ({"is_warehouse_admin": True}, "/admin/coupons/coupon/", 200),
        ({"is_warehouse_admin": True}, "/admin/coupons/coupon/add/", 403),
    ],
)
def test_coupon_admin_pages_follow_the_roles(roles, url, status):
    coupon_issue(coupon_id=CouponFactory().pk, user_id=UserFactory().pk)
    assert admin_session(**roles).get(url).status_code == status


def test_staff_add_a_coupon_in_the_admin():
    response = admin_session(is_staff=True).post("/admin/coupons/coupon/add/", _form())
    assert response.status_code == 302, response.content[:2000]
    coupon = Coupon.objects.get()
    assert (coupon.name, coupon.total_quantity, coupon.issued_count) == ("Admin drop", 3, 0)


def test_the_admin_refuses_both_discounts():
    response = admin_session(is_staff=True).post(
        "/admin/coupons/coupon/add/", _form(discount_rate="10")
    )
    assert response.status_code == 200 and b"exactly one of discount_amount" in response.content
    assert not Coupon.objects.exists()


def test_raising_the_total_in_the_admin_clears_the_sold_out_flag(
    django_capture_on_commit_callbacks,
):
    coupon = CouponFactory(total_quantity=1)
    coupon_issue(coupon_id=coupon.pk, user_id=UserFactory().pk)
    # (this test's transaction never commits: the flag is set as its commit would)
    coupon_cache.sold_out_flag_set(coupon_id=coupon.pk, total_quantity=1)
    client = admin_session(is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/coupons/coupon/{coupon.pk}/change/", _form(coupon, total_quantity="2")
        )
    assert response.status_code == 302
    assert Coupon.objects.get().total_quantity == 2
    assert not coupon_cache.sold_out_flagged(coupon_id=coupon.pk)


def test_lowering_below_issued_in_the_admin_is_refused_with_a_message():
    coupon = CouponFactory(total_quantity=3)
    for user in UserFactory.create_batch(2):
        coupon_issue(coupon_id=coupon.pk, user_id=user.pk)
    client = admin_session(is_staff=True)
    url = f"/admin/coupons/coupon/{coupon.pk}/change/"
    response = client.post(url, _form(coupon, total_quantity="1"), follow=True)
    assert response.status_code == 200
    assert b"Not saved" in response.content and b"below_issued" not in response.content
    assert Coupon.objects.get().total_quantity == 3
