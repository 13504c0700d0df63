import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.tests.helpers import UserFactory
from apps.core.audit import run_audit
from apps.core.errors import InvalidState, NotFound, ValidationFailed
from apps.coupons import services
from apps.coupons.errors import CouponInvalid
from apps.coupons.models import Coupon, CouponIssue
from apps.coupons.services import (
    coupon_discount,
    coupon_issue,
    coupon_issues_expire_due,
    coupon_redeem,
    coupon_release,
)
from apps.coupons.tests.helpers import CouponFactory
from apps.products.tests.helpers import ProductFactory

pytestmark = pytest.mark.django_db

ORDER = uuid.UUID("01930000-0000-7000-8000-000000000001")
OTHER_ORDER = uuid.UUID("01930000-0000-7000-8000-000000000002")


def _issued(coupon=None, user=None) -> CouponIssue:
    user = user or UserFactory()
    return coupon_issue(coupon_id=(coupon or CouponFactory()).pk, user_id=user.pk)


def _reason(excinfo) -> str:
    return excinfo.value.details["reason"]


# --- discount --------------------------------------------------------------------


@pytest.mark.parametrize(
    "amount_off, rate, amount, expected",
    [
        ("1000.00", None, "25000.00", "1000.00"),
        ("1000.00", None, "400.00", "400.00"),  # never more than the amount
        (None, 15, "199.99", "30.00"),  # 29.9985 rounds half up to the cent
        (None, 10, "0.05", "0.01"),  # 0.005 -> 0.01
        (None, 100, "123.45", "123.45"),
        (None, 1, "0.00", "0.00"),
    ],
)
def test_discount_is_computed_for_an_amount(amount_off, rate, amount, expected):
    coupon = Coupon(discount_amount=Decimal(amount_off) if amount_off else None, discount_rate=rate)
    assert coupon_discount(coupon=coupon, amount=Decimal(amount)) == Decimal(expected)


# --- redeem ----------------------------------------------------------------------


def test_redeem_marks_the_issue_redeemed_by_the_order_and_returns_the_discount():
    issue = _issued(CouponFactory(discount_rate=20, discount_amount=None))
    redemption = coupon_redeem(
        code=issue.code.lower(), user_id=issue.user_id, order_id=ORDER, amount=Decimal("50.00")
    )
    assert redemption.discount == Decimal("10.00")
    issue.refresh_from_db()
    assert (issue.status, issue.order_id) == ("redeemed", ORDER)
    assert issue.redeemed_at is not None


def test_redeem_twice_is_refused():
    issue = _issued()
    coupon_redeem(code=issue.code, user_id=issue.user_id, order_id=ORDER, amount=Decimal(5000))
    with pytest.raises(CouponInvalid) as excinfo:
        coupon_redeem(
            code=issue.code, user_id=issue.user_id, order_id=OTHER_ORDER, amount=Decimal(5000)
        )
    assert _reason(excinfo) == "already_redeemed"


@pytest.mark.parametrize("code", ["", "NOPE", "ZZZZZZZZ", "abc\x00defg", None, 12345678, "é" * 8])
def test_redeem_of_an_unknown_code_is_not_found(code):
    issue = _issued()
    with pytest.raises(CouponInvalid) as excinfo:
        coupon_redeem(code=code, user_id=issue.user_id, order_id=ORDER, amount=Decimal(1))
    assert _reason(excinfo) == "not_found"


def test_redeem_of_another_users_code_is_not_found():
    issue = _issued()
    with pytest.raises(CouponInvalid) as excinfo:
        coupon_redeem(code=issue.code, user_id=UserFactory().pk, order_id=ORDER, amount=Decimal(1))
    assert _reason(excinfo) == "not_found"
    assert CouponIssue.objects.get().status == "issued"


def test_redeem_respects_the_minimum_order_amount():
    issue = _issued(CouponFactory(min_order_amount=Decimal("20000.00")))
    with pytest.raises(CouponInvalid) as excinfo:
        coupon_redeem(
            code=issue.code, user_id=issue.user_id, order_id=ORDER, amount=Decimal("19999.99")
        )
    assert _reason(excinfo) == "below_minimum"
    redemption = coupon_redeem(
        code=issue.code, user_id=issue.user_id, order_id=ORDER, amount=Decimal("20000.00")
    )
    assert redemption.discount == Decimal("1000.00")


def test_redeem_of_a_product_coupon_needs_the_product_and_discounts_its_amount():
    product = ProductFactory()
    issue = _issued(CouponFactory(product=product, discount_amount=None, discount_rate=50))
    with pytest.raises(CouponInvalid) as excinfo:
        coupon_redeem(
            code=issue.code,
            user_id=issue.user_id,
            order_id=ORDER,
            amount=Decimal("300.00"),
            product_amounts={ProductFactory().pk: Decimal("300.00")},
        )
    assert _reason(excinfo) == "product_mismatch"
    redemption = coupon_redeem(
        code=issue.code,
        user_id=issue.user_id,
        order_id=ORDER,
        amount=Decimal("300.00"),
        product_amounts={product.pk: Decimal("100.00")},
    )
    assert redemption.discount == Decimal("50.00")


def test_redeem_after_the_coupon_ended_is_expired():
    issue = _issued()
    Coupon.objects.update(ends_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(CouponInvalid) as excinfo:
        coupon_redeem(code=issue.code, user_id=issue.user_id, order_id=ORDER, amount=Decimal(1))
    assert _reason(excinfo) == "expired"


@pytest.mark.parametrize("amount", [Decimal("-1"), Decimal("NaN"), Decimal("Infinity"), 5, "5"])
def test_redeem_refuses_a_bad_amount(amount):
    issue = _issued()
    with pytest.raises(ValidationFailed):
        coupon_redeem(code=issue.code, user_id=issue.user_id, order_id=ORDER, amount=amount)
    assert CouponIssue.objects.get().status == "issued"


# --- release ---------------------------------------------------------------------


def test_release_puts_a_redeemed_coupon_back_in_the_wallet():
    issue = _issued()
    coupon_redeem(code=issue.code, user_id=issue.user_id, order_id=ORDER, amount=Decimal(5000))
    released = coupon_release(issue_id=issue.pk, order_id=ORDER)
    assert (released.status, released.order_id, released.redeemed_at) == ("issued", None, None)
    # a retried refund changes nothing; the coupon can be redeemed again
    assert coupon_release(issue_id=issue.pk, order_id=ORDER).status == "issued"
    coupon_redeem(code=issue.code, user_id=issue.user_id, order_id=OTHER_ORDER, amount=Decimal(1))
    assert CouponIssue.objects.get().order_id == OTHER_ORDER


def test_release_for_another_order_is_refused():
    issue = _issued()
    coupon_redeem(code=issue.code, user_id=issue.user_id, order_id=ORDER, amount=Decimal(5000))
    with pytest.raises(InvalidState):
        coupon_release(issue_id=issue.pk, order_id=OTHER_ORDER)
    assert CouponIssue.objects.get().order_id == ORDER


def test_release_after_the_coupon_ended_expires_it():
    issue = _issued()
    coupon_redeem(code=issue.code, user_id=issue.user_id, order_id=ORDER, amount=Decimal(5000))
    Coupon.objects.update(ends_at=timezone.now() - timedelta(seconds=1))
    assert coupon_release(issue_id=issue.pk, order_id=ORDER).status == "expired"


def test_release_of_an_unknown_issue_is_not_found():
    with pytest.raises(NotFound):
        coupon_release(issue_id=123456, order_id=ORDER)


# --- expiry sweep ------------------------------------------------------------------


def test_sweep_expires_open_issues_of_ended_coupons_only():
    ended, running = CouponFactory(), CouponFactory()
    open_one, redeemed = _issued(ended), _issued(ended)
    coupon_redeem(
        code=redeemed.code, user_id=redeemed.user_id, order_id=ORDER, amount=Decimal(5000)
    )
    untouched = _issued(running)
    Coupon.objects.filter(pk=ended.pk).update(ends_at=timezone.now() - timedelta(seconds=1))
    assert coupon_issues_expire_due(batch_size=1) == 1
    statuses = dict(CouponIssue.objects.values_list("pk", "status"))
    assert statuses == {open_one.pk: "expired", redeemed.pk: "redeemed", untouched.pk: "issued"}
    assert coupon_issues_expire_due() == 0


# --- codes -------------------------------------------------------------------------


def test_a_clashing_code_is_drawn_again(monkeypatch):
    # given an issue holding code AAAA0000, and a generator that draws it first
    coupon = CouponFactory()
    taken = _issued(coupon)
    CouponIssue.objects.filter(pk=taken.pk).update(code="AAAA0000")
    draws = iter(["AAAA0000", "AAAA0000", "BBBB1111"])
    monkeypatch.setattr(services, "_new_code", lambda: next(draws))
    # when another user claims
    issue = coupon_issue(coupon_id=coupon.pk, user_id=UserFactory().pk)
    # then the clash inserted nothing, another code was drawn and the claim went through
    assert issue.code == "BBBB1111"
    assert Coupon.objects.get().issued_count == 2


def test_codes_that_always_clash_fail_after_bounded_attempts(monkeypatch):
    coupon = CouponFactory()
    taken = _issued(coupon)
    monkeypatch.setattr(services, "_new_code", lambda: taken.code)
    with pytest.raises(IntegrityError):
        coupon_issue(coupon_id=coupon.pk, user_id=UserFactory().pk)
    assert Coupon.objects.get().issued_count == 1 and CouponIssue.objects.count() == 1


def test_codes_are_eight_characters_of_a_z_and_digits():
    codes = {services._new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(code) == 8 and set(code) <= set(services.CODE_ALPHABET) for code in codes)


# --- the schema is the last guard ----------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        {"discount_amount": Decimal(5), "discount_rate": 5},
        {"discount_amount": None, "discount_rate": None},
        {"discount_amount": None, "discount_rate": 101},
        {"total_quantity": 0},
        {"issued_count": 11},
        {"ends_at": timezone.now() - timedelta(days=2)},
    ],
)
def test_database_refuses_an_invalid_coupon(values):
    coupon = CouponFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Coupon.objects.filter(pk=coupon.pk).update(**values)


def test_database_refuses_a_second_issue_for_the_same_user_and_a_bad_code():
    issue = _issued()
    with pytest.raises(IntegrityError), transaction.atomic():
        CouponIssue.objects.create(
            coupon_id=issue.coupon_id, user_id=issue.user_id, code="CCCC2222"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        CouponIssue.objects.create(coupon_id=issue.coupon_id, user=UserFactory(), code="lower123")
    with pytest.raises(IntegrityError), transaction.atomic():
        CouponIssue.objects.filter(pk=issue.pk).update(status="redeemed")  # no order


@pytest.mark.no_audit
def test_audit_reports_a_count_that_does_not_match_the_rows():
    coupon = CouponFactory()
    _issued(coupon)
    Coupon.objects.filter(pk=coupon.pk).update(issued_count=2)
    violations = run_audit()["coupons: issued_count equals the issue rows, within total_quantity"]
    assert violations == [f"coupon {coupon.pk}: issued_count=2 total_quantity=10 but 1 issue rows"]
    Coupon.objects.filter(pk=coupon.pk).update(issued_count=1)
    assert not any(run_audit().values())
