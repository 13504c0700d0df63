"""Coupon drops racing on real PostgreSQL and Redis, in real threads."""

import threading
import uuid
from decimal import Decimal

import pytest
from django.db import connection, transaction

from apps.accounts.tests.helpers import UserFactory
from apps.core.testing import run_concurrently, wait_until_blocked_on_lock
from apps.core.tests.helpers import client_for
from apps.coupons import cache as coupon_cache
from apps.coupons.errors import CouponInvalid, SoldOut
from apps.coupons.locks import coupon_lock
from apps.coupons.models import Coupon, CouponIssue
from apps.coupons.services import coupon_issue, coupon_redeem, coupon_update
from apps.coupons.tests.helpers import CouponFactory

pytestmark = pytest.mark.django_db(transaction=True)

# PostgreSQL allows 100 connections, shared with other test runs on the machine:
# racing threads hold at most this many at once (apps/core/testing.py).
CONNECTIONS = 30


def _claim_over_http(user, coupon):
    response = client_for(user).post(f"/api/v1/coupons/{coupon.pk}/issue/")
    return response.status_code, response.json()


def _codes(results, status):
    return [body["error"]["code"] for s, body in results if s == status and "error" in body]


def test_200_users_racing_for_50_coupons_get_exactly_50():
    # given a drop of 50 and 200 distinct customers
    coupon = CouponFactory(total_quantity=50)
    users = UserFactory.create_batch(200)

    # when all of them press the button at once (released by one barrier; 30
    # hold a database connection at a time, so 30 contend for the row lock at
    # every moment and the rest queue right behind them, as a pool would)
    results = run_concurrently(
        lambda i: _claim_over_http(users[i], coupon),
        threads=200,
        connections_at_once=CONNECTIONS,
        timeout=120,
    )

    # then exactly 50 are issued and 150 are told sold_out
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors[:3]
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] * 50 + [409] * 150, statuses
    assert set(_codes(results, 409)) == {"sold_out"}
    coupon.refresh_from_db()
    assert coupon.issued_count == 50 == CouponIssue.objects.filter(coupon=coupon).count()
    codes = [body["code"] for status, body in results if status == 201]
    assert len(set(codes)) == 50
    assert set(CouponIssue.objects.values_list("code", flat=True)) == set(codes)
    assert CouponIssue.objects.values("user_id").distinct().count() == 50
    assert coupon_cache.sold_out_flagged(coupon_id=coupon.pk)


def test_one_user_claiming_ten_times_at_once_gets_one_coupon():
    # given
    coupon = CouponFactory(total_quantity=5)
    user = UserFactory()

    # when the same user sends 10 claims at the same moment
    results = run_concurrently(lambda i: _claim_over_http(user, coupon), threads=10)

    # then one is issued and nine are already_issued
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * 9, results
    assert set(_codes(results, 409)) == {"already_issued"}
    assert Coupon.objects.get().issued_count == 1 == CouponIssue.objects.count()


def test_a_sold_out_claim_is_answered_without_waiting_for_the_row_lock(
    django_assert_num_queries,
):
    # given a sold-out drop (the last issue's commit set the flag)
    coupon = CouponFactory(total_quantity=1)
    coupon_issue(coupon_id=coupon.pk, user_id=UserFactory().pk)
    assert coupon_cache.sold_out_flagged(coupon_id=coupon.pk)
    late = UserFactory()

    # then the service refuses it without a single query
    with django_assert_num_queries(0), pytest.raises(SoldOut):
        coupon_issue(coupon_id=coupon.pk, user_id=late.pk)

    # and over HTTP, while another transaction holds the coupon's row lock
    answers = []
    with transaction.atomic():
        assert coupon_lock(coupon_id=coupon.pk) is not None
        claimer = threading.Thread(target=lambda: answers.append(_claim_over_http(late, coupon)))
        claimer.start()
        # a claim that needed the lock could not finish before we commit; this one does
        claimer.join(timeout=10)
        assert not claimer.is_alive(), "the sold-out claim waited for the row lock"
    status, body = answers[0]
    assert (status, body["error"]["code"]) == (409, "sold_out")
    assert CouponIssue.objects.count() == 1


def test_without_the_flag_a_claim_waits_for_the_lock_then_sets_the_flag():
    # given a sold-out drop whose flag is gone (evicted, or Redis restarted)
    coupon = CouponFactory(total_quantity=1)
    coupon_issue(coupon_id=coupon.pk, user_id=UserFactory().pk)
    coupon_cache.total_quantity_changed(coupon_id=coupon.pk, total_quantity=1)  # drops it
    assert not coupon_cache.sold_out_flagged(coupon_id=coupon.pk)
    late = UserFactory()

    # when a claim arrives while another transaction holds the row lock
    answers = []
    claimer = threading.Thread(target=lambda: answers.append(_claim_over_http(late, coupon)))
    with transaction.atomic():
        coupon_lock(coupon_id=coupon.pk)
        claimer.start()
        # then it waits on the lock (PostgreSQL shows it blocked) ...
        wait_until_blocked_on_lock()
        assert not answers
    # ... and once the lock is released decides sold_out under it and flags it
    claimer.join(timeout=10)
    assert answers[0][0] == 409 and answers[0][1]["error"]["code"] == "sold_out"
    assert coupon_cache.sold_out_flagged(coupon_id=coupon.pk)


def test_raising_total_quantity_clears_the_flag_and_reopens_the_drop(staff_client):
    # given a sold-out, flagged drop of 1
    coupon = CouponFactory(total_quantity=1)
    coupon_issue(coupon_id=coupon.pk, user_id=UserFactory().pk)
    assert coupon_cache.sold_out_flagged(coupon_id=coupon.pk)

    # when staff raise the total to 2
    response = staff_client.patch(
        f"/api/v1/coupons/{coupon.pk}/", {"total_quantity": 2}, format="json"
    )
    assert response.status_code == 200 and response.json()["remaining"] == 1

    # then the flag is gone and one more user gets a coupon, then it is sold out again
    assert not coupon_cache.sold_out_flagged(coupon_id=coupon.pk)
    assert _claim_over_http(UserFactory(), coupon)[0] == 201
    assert coupon_cache.sold_out_flagged(coupon_id=coupon.pk)
    status, body = _claim_over_http(UserFactory(), coupon)
    assert (status, body["error"]["code"]) == (409, "sold_out")


def test_a_flag_written_after_a_raise_does_not_count():
    # given a drop of 1 sold out, then raised to 2 (committed, flag cleared)
    coupon = CouponFactory(total_quantity=1)
    coupon_issue(coupon_id=coupon.pk, user_id=UserFactory().pk)
    coupon_update(coupon_id=coupon.pk, changes={"total_quantity": 2})
    # when a claim that saw the old total writes its flag late (after the raise)
    coupon_cache.sold_out_flag_set(coupon_id=coupon.pk, total_quantity=1)
    # then the flag is ignored: it names another total than the current one
    assert not coupon_cache.sold_out_flagged(coupon_id=coupon.pk)
    assert coupon_issue(coupon_id=coupon.pk, user_id=UserFactory().pk).code


def test_with_redis_down_the_drop_still_never_over_issues(settings):
    # given a cache pointing at a closed port (every read a miss, every write lost)
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    coupon = CouponFactory(total_quantity=10)
    users = UserFactory.create_batch(40)
    assert not coupon_cache.sold_out_flagged(coupon_id=coupon.pk)

    # when 40 users race for 10
    results = run_concurrently(
        lambda i: _claim_over_http(users[i], coupon), threads=40, connections_at_once=CONNECTIONS
    )

    # then the database alone decided: exactly 10 issued, 30 sold_out
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] * 10 + [409] * 30, results
    assert set(_codes(results, 409)) == {"sold_out"}
    assert Coupon.objects.get().issued_count == 10 == CouponIssue.objects.count()


def test_staff_lowering_the_total_while_users_claim_never_breaks_the_bound():
    # given a drop of 30 and 24 users, while staff try to lower it to 8
    coupon = CouponFactory(total_quantity=30)
    users = UserFactory.create_batch(24)

    def work(i):
        if i == 24:
            try:
                return coupon_update(coupon_id=coupon.pk, changes={"total_quantity": 8})
            except Exception as exc:  # below_issued when more than 8 were already out
                return exc
        try:
            return coupon_issue(coupon_id=coupon.pk, user_id=users[i].pk)
        except SoldOut as exc:
            return exc

    results = run_concurrently(work, threads=25)

    # then whoever won, the count matches the rows and stays within the total
    coupon.refresh_from_db()
    issued = CouponIssue.objects.filter(coupon=coupon).count()
    assert coupon.issued_count == issued <= coupon.total_quantity
    if isinstance(results[24], Coupon):
        # the lowering came while at most 8 were out; later claims filled it to 8
        assert coupon.total_quantity == 8 and issued == 8
    else:  # more than 8 were out already: refused, and every user got one
        assert results[24].code == "below_issued" and issued == 24
    unexpected = [r for r in results[:24] if isinstance(r, BaseException)]
    assert not [r for r in unexpected if not isinstance(r, SoldOut)]


def test_one_code_redeemed_by_ten_orders_at_once_has_one_winner():
    issue = coupon_issue(coupon_id=CouponFactory().pk, user_id=UserFactory().pk)
    orders = [uuid.uuid4() for _ in range(10)]

    def redeem(i):
        try:
            return coupon_redeem(
                code=issue.code, user_id=issue.user_id, order_id=orders[i], amount=Decimal(5000)
            )
        except CouponInvalid as exc:
            return exc

    results = run_concurrently(redeem, threads=10)
    winners = [r for r in results if not isinstance(r, BaseException)]
    assert len(winners) == 1
    assert {r.details["reason"] for r in results if isinstance(r, CouponInvalid)} == {
        "already_redeemed"
    }
    assert CouponIssue.objects.get().order_id == winners[0].issue.order_id
    connection.close()
