"""The wallet under real concurrent transactions on PostgreSQL, in real threads:
no overdraft, no lost update, one cancel per entry, and the optimistic path's
fallback to the row lock, forced deterministically."""

import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.tests.helpers import UserFactory
from apps.core.testing import run_concurrently
from apps.core.tests.helpers import client_for
from apps.points.errors import AlreadyCancelled, InsufficientPoints
from apps.points.models import PointEntry, PointKind, PointLot
from apps.points.services import points_cancel, points_expire_due, points_use, protocol
from apps.points.tests.helpers import balances, earn

pytestmark = pytest.mark.django_db(transaction=True)

FREE, PAID = PointKind.FREE, PointKind.PAID


def _use_over_http(user, amount: int):
    def use(i):
        response = client_for(user).post(
            "/api/v1/points/use/", {"amount": amount, "description": f"order {i}"}, format="json"
        )
        return response.status_code, response.json()

    return use


def test_40_concurrent_uses_of_10_on_300_exactly_30_succeed():
    # given 300 points (100 free, 200 paid)
    user = UserFactory()
    earn(user, 100, FREE)
    earn(user, 200, PAID)

    # when 40 threads each use 10 at the same moment
    results = run_concurrently(_use_over_http(user, 10), threads=40)

    # then exactly 30 succeed and 10 are refused as insufficient, never a 200
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] * 30 + [409] * 10, statuses
    assert {body["error"]["code"] for status, body in results if status == 409} == {
        "insufficient_points"
    }
    assert balances(user) == (0, 0)
    uses = PointEntry.objects.filter(type="use")
    assert uses.count() == 30
    assert sum(e.free_delta for e in uses) == -100 and sum(e.paid_delta for e in uses) == -200
    # every success answered the balance it left, each one different
    afters = sorted(body["balance_after"] for status, body in results if status == 201)
    assert afters == list(range(0, 300, 10))


def test_40_concurrent_earns_all_succeed_and_the_balance_is_exact():
    # given a user with no wallet yet (the first earns race to create it)
    user, staff = UserFactory(), UserFactory(is_staff=True)

    # when 40 threads earn 1..40 points at once, free and paid alternately
    def give(i):
        response = client_for(staff).post(
            "/api/v1/points/earn/",
            {
                "user_id": user.pk,
                "amount": i + 1,
                "kind": FREE if i % 2 else PAID,
                "description": f"reward {i}",
            },
            format="json",
        )
        return response.status_code

    statuses = run_concurrently(give, threads=40)

    # then every earn landed, none lost
    assert statuses == [201] * 40
    free = sum(i + 1 for i in range(40) if i % 2)
    paid = sum(i + 1 for i in range(40) if not i % 2)
    assert balances(user) == (free, paid)
    assert PointEntry.objects.filter(type="earn").count() == PointLot.objects.count() == 40


def test_the_same_entry_cancelled_by_8_requests_at_once_is_cancelled_once():
    # given a use of 40 points out of 100
    user = UserFactory()
    earn(user, 100, FREE)
    use = points_use(user_id=user.pk, amount=40, description="order")

    # when 8 threads cancel it together over HTTP
    def cancel(i):
        response = client_for(user).post(f"/api/v1/points/entries/{use.pk}/cancel/")
        return response.status_code, response.json()

    results = run_concurrently(cancel, threads=8)

    # then one compensating entry, the others 409 already_cancelled
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * 7, statuses
    assert {body["error"]["code"] for status, body in results if status == 409} == {
        "already_cancelled"
    }
    assert PointEntry.objects.filter(type="cancel", cancels=use).count() == 1
    assert balances(user) == (100, 0)


def test_the_sweeper_racing_uses_expires_each_point_once():
    # given 100 free points past their date (not swept) and 200 paid
    user = UserFactory()
    due = earn(user, 100, FREE, expires_at=timezone.now() + timedelta(days=1))
    earn(user, 200, PAID)
    PointLot.objects.filter(entry=due).update(expires_at=timezone.now() - timedelta(seconds=1))

    # when 19 uses of 10 and the sweeper run together
    def work(i):
        if i == 0:
            return points_expire_due()
        return points_use(user_id=user.pk, amount=10, description=f"order {i}")

    results = run_concurrently(work, threads=20)

    # then the due points expired exactly once, and every use took paid points
    assert not [r for r in results if isinstance(r, BaseException)], results
    expires = PointEntry.objects.filter(type="expire")
    assert sum(e.amount for e in expires) == 100
    assert balances(user) == (0, 200 - 190)


def _commit_elsewhere(fn) -> None:
    """Run fn in another thread, on its own connection, to its commit."""
    from django.db import connections

    failures: list[BaseException] = []

    def run():
        try:
            fn()
        except BaseException as exc:
            failures.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(10)
    assert not thread.is_alive() and not failures, failures


def _before_our_updates(monkeypatch, competitor, times: int) -> list[int]:
    """Before each of this thread's first `times` optimistic UPDATEs, `competitor`
    commits a change of the same wallet from another connection: exactly the
    race the version check exists for. Returns the versions we had read."""
    real_bump = protocol._bump
    main = threading.current_thread()
    versions: list[int] = []

    def bump_after_a_competitor(wallet, plan):
        if threading.current_thread() is main and len(versions) < times:
            versions.append(wallet.version)
            _commit_elsewhere(competitor)
        return real_bump(wallet, plan)

    monkeypatch.setattr(protocol, "_bump", bump_after_a_competitor)
    return versions


def test_a_use_that_keeps_losing_falls_back_to_the_row_lock_and_is_exact(settings, monkeypatch):
    # given 100 free points, 3 retries allowed, and a competitor winning every
    # optimistic round (the first attempt and all 3 retries)
    settings.POINTS_OPTIMISTIC_RETRIES = 3
    settings.POINTS_RETRY_BACKOFF_MS = 1
    user = UserFactory()
    earn(user, 100, FREE)
    injected = _before_our_updates(monkeypatch, lambda: earn(user, 1, PAID), times=4)

    # when
    use = points_use(user_id=user.pk, amount=60, description="order")

    # then the locked path wrote it, after 3 lost retries, and nothing was lost
    assert len(injected) == 4
    assert injected == sorted(set(injected))  # each attempt read a newer version
    assert (use.write_locked, use.write_retries) == (True, 3)
    assert (use.free_delta, use.paid_delta) == (-60, 0)
    assert balances(user) == (40, 4)
    assert (use.free_after, use.paid_after) == (40, 4)


def test_a_use_that_loses_once_wins_on_its_retry_without_the_lock(settings, monkeypatch):
    settings.POINTS_OPTIMISTIC_RETRIES = 3
    user = UserFactory()
    earn(user, 10, FREE)
    _before_our_updates(monkeypatch, lambda: earn(user, 1, PAID), times=1)

    use = points_use(user_id=user.pk, amount=10, description="order")

    assert (use.write_locked, use.write_retries) == (False, 1)
    assert balances(user) == (0, 1)


def test_a_refusal_found_on_a_retry_is_a_409_never_a_success(monkeypatch):
    # given 10 points, and a competitor that spends 5 of them between our read
    # and our update
    user = UserFactory()
    earn(user, 10, FREE)
    _before_our_updates(
        monkeypatch,
        lambda: points_use(user_id=user.pk, amount=5, description="rival"),
        times=1,
    )

    # when we try to use 8: our first plan (10 available) loses, the retry sees 5
    with pytest.raises(InsufficientPoints) as refused:
        points_use(user_id=user.pk, amount=8, description="order")

    # then a 409 with what is really left, and only the rival's use happened
    assert refused.value.details == {"requested": 8, "available": 5}
    assert balances(user) == (5, 0)
    assert PointEntry.objects.filter(type="use").count() == 1


def test_with_no_retries_every_contended_use_takes_the_lock_and_none_is_lost(settings):
    # given no optimistic retry at all
    settings.POINTS_OPTIMISTIC_RETRIES = 0
    user = UserFactory()
    earn(user, 150, PAID)

    # when 20 uses of 10 race
    results = run_concurrently(
        lambda i: points_use(user_id=user.pk, amount=10, description=f"o{i}"), threads=20
    )

    # then exactly 15 succeed, the rest are insufficient, and the books balance
    used = [r for r in results if isinstance(r, PointEntry)]
    refused = [r for r in results if isinstance(r, InsufficientPoints)]
    assert (len(used), len(refused)) == (15, 5), results
    assert balances(user) == (0, 0)
    assert all(e.write_retries == 0 for e in used)


def test_cancelling_a_use_while_others_spend_restores_it_exactly_once():
    # given 100 paid points and a use of 50
    user = UserFactory()
    earn(user, 100, PAID)
    first = points_use(user_id=user.pk, amount=50, description="first")

    # when its cancel (twice) and 10 uses of 10 run together
    def work(i):
        if i < 2:
            return points_cancel(entry_id=first.pk, user=user)
        return points_use(user_id=user.pk, amount=10, description=f"o{i}")

    results = run_concurrently(work, threads=12)

    # then one cancel, and uses took at most what there was
    cancels = [r for r in results[:2] if isinstance(r, PointEntry)]
    assert len(cancels) == 1 and isinstance(
        next(r for r in results[:2] if r is not cancels[0]), AlreadyCancelled
    )
    used = sum(r.amount for r in results[2:] if isinstance(r, PointEntry))
    assert 50 <= used <= 100
    assert balances(user) == (0, 100 - used)
