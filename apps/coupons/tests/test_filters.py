"""CouponFilterSet on GET /coupons/ and CouponIssueFilterSet on GET
/me/coupons/: each parameter narrows the list, and a bad one is the 400
envelope naming it, in DRF's words."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.accounts.tests.helpers import UserFactory
from apps.coupons.models import Coupon
from apps.coupons.services import coupon_issue, coupon_issues_expire_due, coupon_redeem
from apps.coupons.tests.helpers import CouponFactory

pytestmark = pytest.mark.django_db

URL, MINE = "/api/v1/coupons/", "/api/v1/me/coupons/"


def _ids(client, url, query) -> set[int]:
    response = client.get(url, query)
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def _refused(client, url, query) -> dict:
    response = client.get(url, query)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] | {"details": None} == {
        "code": "invalid",
        "message": "Invalid input.",
        "details": None,
    }
    return body["error"]["details"]


def _end(coupon) -> None:
    Coupon.objects.filter(pk=coupon.pk).update(ends_at=timezone.now() - timedelta(seconds=1))


# --- GET /coupons/: active ---------------------------------------------------------


@pytest.fixture
def drops():
    now = timezone.now()
    sold_out = CouponFactory(total_quantity=1)
    coupon_issue(coupon_id=sold_out.pk, user_id=UserFactory().pk)
    return {
        "open": CouponFactory().pk,
        "sold_out": sold_out.pk,
        "upcoming": CouponFactory(
            starts_at=now + timedelta(hours=1), ends_at=now + timedelta(hours=2)
        ).pk,
        "ended": CouponFactory(
            starts_at=now - timedelta(hours=2), ends_at=now - timedelta(hours=1)
        ).pk,
    }


@pytest.mark.parametrize("value", ["true", "True", "1", "yes", "on"])
def test_active_true_narrows_to_the_drops_in_their_window_sold_out_or_not(api_client, drops, value):
    assert _ids(api_client, URL, {"active": value}) == {drops["open"], drops["sold_out"]}


@pytest.mark.parametrize("value", ["false", "0", "no", "off"])
def test_active_false_narrows_to_the_drops_not_started_or_ended(api_client, drops, value):
    assert _ids(api_client, URL, {"active": value}) == {drops["upcoming"], drops["ended"]}


@pytest.mark.parametrize("query", [{}, {"active": ""}, {"active": "null"}])
def test_no_active_lists_every_drop(api_client, drops, query):
    assert _ids(api_client, URL, query) == set(drops.values())


@pytest.mark.parametrize("value", ["perhaps", "2", " ", "100%"])
def test_a_bad_active_is_a_400_naming_it(api_client, value):
    assert _refused(api_client, URL, {"active": value}) == {"active": ["Must be a valid boolean."]}


# --- GET /me/coupons/: coupon_id, status --------------------------------------------


@pytest.fixture
def wallet(user):
    """The user's issues: one open, one redeemed, one expired by the sweep, one
    of a coupon that has ended since (shown expired before any sweep); and
    someone else's issue of the open coupon."""
    coupons = {name: CouponFactory() for name in ("open", "redeemed", "swept", "unswept")}
    issues = {
        name: coupon_issue(coupon_id=coupon.pk, user_id=user.pk) for name, coupon in coupons.items()
    }
    coupon_redeem(
        code=issues["redeemed"].code,
        user_id=user.pk,
        order_id=uuid.uuid4(),
        amount=Decimal("5000.00"),
    )
    _end(coupons["swept"])
    coupon_issues_expire_due()
    _end(coupons["unswept"])
    coupon_issue(coupon_id=coupons["open"].pk, user_id=UserFactory().pk)
    return {
        "coupons": {name: coupon.pk for name, coupon in coupons.items()},
        "issues": {name: issue.pk for name, issue in issues.items()},
    }


def test_without_parameters_the_whole_wallet_is_listed(user_client, wallet):
    assert _ids(user_client, MINE, {}) == set(wallet["issues"].values())


def test_coupon_id_narrows_to_that_coupons_issue(user_client, wallet):
    query = {"coupon_id": wallet["coupons"]["redeemed"]}
    assert _ids(user_client, MINE, query) == {wallet["issues"]["redeemed"]}
    assert _ids(user_client, MINE, {"coupon_id": 2**63 - 1}) == set()


@pytest.mark.parametrize(
    ("status", "shown"),
    [("issued", {"open"}), ("redeemed", {"redeemed"}), ("expired", {"swept", "unswept"})],
)
def test_status_narrows_by_the_status_shown(user_client, wallet, status, shown):
    rows = user_client.get(MINE, {"status": status}).json()["results"]
    assert {row["id"] for row in rows} == {wallet["issues"][name] for name in shown}
    assert {row["status"] for row in rows} == {status}


def test_filters_combine(user_client, wallet):
    query = {"coupon_id": wallet["coupons"]["unswept"], "status": "expired"}
    assert _ids(user_client, MINE, query) == {wallet["issues"]["unswept"]}
    query = {"coupon_id": wallet["coupons"]["unswept"], "status": "issued"}
    assert _ids(user_client, MINE, query) == set()


@pytest.mark.parametrize(
    ("query", "details"),
    [
        ({"coupon_id": "x"}, {"coupon_id": ["A valid integer is required."]}),
        ({"coupon_id": "5.5"}, {"coupon_id": ["A valid integer is required."]}),
        ({"coupon_id": "0"}, {"coupon_id": ["Ensure this value is greater than or equal to 1."]}),
        (
            {"coupon_id": str(2**63)},
            {"coupon_id": ["Ensure this value is less than or equal to 9223372036854775807."]},
        ),
        ({"status": "lost"}, {"status": ['"lost" is not a valid choice.']}),
        ({"status": "ISSUED"}, {"status": ['"ISSUED" is not a valid choice.']}),
        (
            {"status": "lost", "coupon_id": "x"},
            {
                "coupon_id": ["A valid integer is required."],
                "status": ['"lost" is not a valid choice.'],
            },
        ),
    ],
)
def test_a_bad_value_is_a_400_naming_the_parameter(user_client, query, details):
    assert _refused(user_client, MINE, query) == details
