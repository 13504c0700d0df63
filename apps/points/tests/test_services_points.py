"""The points services on the real PostgreSQL: free before paid, lots, cancel,
expiry, the append-only ledger, the balance cache."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.accounts.tests.helpers import UserFactory
from apps.core.errors import InvalidState, NotFound, ValidationFailed
from apps.points.errors import AlreadyCancelled, InsufficientPoints
from apps.points.models import PointAllocation, PointEntry, PointKind, PointLot
from apps.points.selectors import balance_cache_key, points_balance_get
from apps.points.services import points_cancel, points_earn, points_expire_due, points_use
from apps.points.tests.helpers import balances, earn

pytestmark = pytest.mark.django_db

FREE, PAID = PointKind.FREE, PointKind.PAID


def _days(n: float):
    return timezone.now() + timedelta(days=n)


def _make_due(entry) -> None:
    """Move a free lot's expiry into the past (lots are bookkeeping, not ledger)."""
    PointLot.objects.filter(entry=entry).update(expires_at=timezone.now() - timedelta(seconds=1))


def test_earn_creates_the_wallet_the_entry_and_its_lot(user):
    # when
    entry = earn(user, 100, FREE, expires_at=_days(30))
    # then
    assert balances(user) == (100, 0)
    assert (entry.type, entry.amount, entry.free_delta, entry.paid_delta) == ("earn", 100, 100, 0)
    assert (entry.free_after, entry.paid_after, entry.balance_after) == (100, 0, 100)
    lot = PointLot.objects.get(entry=entry)
    assert (lot.kind, lot.amount, lot.remaining) == ("free", 100, 100)
    assert entry.expires_at == lot.expires_at


def test_use_spends_free_points_before_paid_ones(user):
    # given 30 free and 50 paid
    earn(user, 50, PAID)
    earn(user, 30, FREE)
    # when 40 are used
    entry = points_use(user_id=user.pk, amount=40, description="order")
    # then all 30 free go first, then 10 paid
    assert (entry.free_delta, entry.paid_delta, entry.amount) == (-30, -10, 40)
    assert (entry.free_after, entry.paid_after) == (0, 40)
    assert balances(user) == (0, 40)
    # and the next use takes paid points only
    entry = points_use(user_id=user.pk, amount=15, description="order 2")
    assert (entry.free_delta, entry.paid_delta) == (0, -15)
    assert balances(user) == (0, 25)


def test_use_takes_free_lots_soonest_expiry_first_undated_last(user):
    # given three free lots: in 10 days, never, in 5 days; and a paid one
    in_10 = earn(user, 20, FREE, expires_at=_days(10))
    never = earn(user, 20, FREE)
    in_5 = earn(user, 20, FREE, expires_at=_days(5))
    paid = earn(user, 20, PAID)
    # when 70 are used
    use = points_use(user_id=user.pk, amount=70, description="big order")
    # then 5-day lot, 10-day lot, undated lot, then 10 paid
    taken = [(a.lot.entry_id, a.amount) for a in use.allocations.order_by("id")]
    assert taken == [(in_5.pk, 20), (in_10.pk, 20), (never.pk, 20), (paid.pk, 10)]
    assert (use.free_delta, use.paid_delta) == (-60, -10)


def test_use_beyond_the_balance_is_refused_and_moves_nothing(user):
    # given
    earn(user, 10, FREE)
    earn(user, 5, PAID)
    before = PointEntry.objects.count()
    # when / then
    with pytest.raises(InsufficientPoints) as refused:
        points_use(user_id=user.pk, amount=16, description="too much")
    assert refused.value.details == {"requested": 16, "available": 15}
    assert balances(user) == (10, 5)
    assert PointEntry.objects.count() == before


def test_use_without_a_wallet_is_insufficient_and_creates_nothing(user):
    with pytest.raises(InsufficientPoints):
        points_use(user_id=user.pk, amount=1, description="x")
    assert balances(user) == (0, 0)
    assert not PointEntry.objects.exists()


def test_cancel_of_a_use_restores_exactly_what_it_moved_into_the_same_lots(user):
    # given a use that took 30 free and 10 paid
    free_earn = earn(user, 30, FREE, expires_at=_days(7))
    paid_earn = earn(user, 50, PAID)
    use = points_use(user_id=user.pk, amount=40, description="order", order_id="o-1")
    # when it is cancelled
    cancel = points_cancel(entry_id=use.pk, user=user)
    # then the compensating entry moves +30 free, +10 paid
    assert (cancel.type, cancel.free_delta, cancel.paid_delta, cancel.amount) == (
        "cancel",
        30,
        10,
        40,
    )
    assert cancel.cancels_id == use.pk and cancel.order_id == "o-1"
    assert balances(user) == (30, 50)
    # and the lots are whole again, so both earns can now be cancelled
    assert PointLot.objects.get(entry=free_earn).remaining == 30
    assert PointLot.objects.get(entry=paid_earn).remaining == 50
    points_cancel(entry_id=free_earn.pk, user=user)
    points_cancel(entry_id=paid_earn.pk, user=user)
    assert balances(user) == (0, 0)


def test_cancel_of_an_earn_already_spent_is_insufficient_points(user):
    # given an earn of which 1 point was spent
    entry = earn(user, 100, FREE)
    points_use(user_id=user.pk, amount=1, description="x")
    # when / then
    with pytest.raises(InsufficientPoints) as refused:
        points_cancel(entry_id=entry.pk, user=user)
    assert refused.value.details == {"amount": 100, "remaining": 99}
    assert balances(user) == (99, 0)
    assert not PointEntry.objects.filter(type="cancel").exists()


def test_an_entry_is_cancelled_at_most_once(user):
    entry = earn(user, 10, PAID)
    points_cancel(entry_id=entry.pk, user=user)
    with pytest.raises(AlreadyCancelled):
        points_cancel(entry_id=entry.pk, user=user)
    assert PointEntry.objects.filter(cancels=entry).count() == 1
    assert balances(user) == (0, 0)


def test_only_earns_and_uses_can_be_cancelled(user):
    entry = earn(user, 10, PAID)
    cancel = points_cancel(entry_id=entry.pk, user=user)
    with pytest.raises(InvalidState):
        points_cancel(entry_id=cancel.pk, user=user)


def test_another_customers_entry_is_not_found_but_staff_may_cancel_it(user, staff_user):
    entry = earn(user, 10, FREE)
    with pytest.raises(NotFound):
        points_cancel(entry_id=entry.pk, user=UserFactory())
    cancel = points_cancel(entry_id=entry.pk, user=staff_user)
    assert cancel.actor_id == staff_user.pk and cancel.user_id == user.pk


def test_the_sweeper_expires_dated_free_points_oldest_first(user):
    # given two due free lots, one dated free lot not yet due, undated free, paid
    older = earn(user, 10, FREE, expires_at=_days(1))
    newer = earn(user, 20, FREE, expires_at=_days(2))
    earn(user, 40, FREE, expires_at=_days(30))
    earn(user, 80, FREE)
    earn(user, 160, PAID)
    points_use(user_id=user.pk, amount=5, description="x")  # from `older`
    _make_due(older)
    _make_due(newer)
    PointLot.objects.filter(entry=older).update(expires_at=timezone.now() - timedelta(days=1))
    other = UserFactory()
    earn(other, 7, FREE, expires_at=_days(1))
    # when
    expired = points_expire_due()
    # then only what was left of the two due lots expired, oldest first
    assert expired == 5 + 20
    entry = PointEntry.objects.get(type="expire")
    assert (entry.user_id, entry.free_delta, entry.paid_delta, entry.amount) == (
        user.pk,
        -25,
        0,
        25,
    )
    assert [(a.lot.entry_id, a.amount) for a in entry.allocations.order_by("id")] == [
        (older.pk, 5),
        (newer.pk, 20),
    ]
    assert balances(user) == (120, 160)
    assert balances(other) == (7, 0)
    # and a second sweep finds nothing
    assert points_expire_due() == 0


def test_points_past_their_date_are_never_spent_even_before_the_sweep(user):
    # given 10 free points past their date (not swept yet) and 5 paid
    due = earn(user, 10, FREE, expires_at=_days(1))
    earn(user, 5, PAID)
    _make_due(due)
    # then the balance does not count them
    assert points_balance_get(user_id=user.pk).free == 0
    # and a use cannot spend them
    with pytest.raises(InsufficientPoints):
        points_use(user_id=user.pk, amount=6, description="x")
    # and a use that fits expires them first, in its own transaction
    use = points_use(user_id=user.pk, amount=5, description="x")
    (expire,) = PointEntry.objects.filter(type="expire")
    assert expire.pk < use.pk and expire.amount == 10
    assert (use.free_delta, use.paid_delta) == (0, -5)
    assert balances(user) == (0, 0)


def test_points_restored_into_a_lot_past_its_date_expire_at_once(user):
    # given a use of free points whose lot then passes its date
    lot_earn = earn(user, 10, FREE, expires_at=_days(1))
    use = points_use(user_id=user.pk, amount=4, description="x")
    _make_due(lot_earn)
    # when the use is cancelled
    cancel = points_cancel(entry_id=use.pk, user=user)
    # then the 4 points come back, and the 10 of the lot expire right after
    entries = list(PointEntry.objects.filter(pk__gte=cancel.pk).order_by("id"))
    assert [(e.type, e.free_delta) for e in entries] == [("cancel", 4), ("expire", -10)]
    assert balances(user) == (0, 0)


def test_an_earn_past_its_date_cannot_be_cancelled(user):
    entry = earn(user, 10, FREE, expires_at=_days(1))
    _make_due(entry)
    with pytest.raises(InsufficientPoints):
        points_cancel(entry_id=entry.pk, user=user)
    assert balances(user) == (10, 0)  # the refusal rolled the inline expiry back too


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"amount": 0}, "amount"),
        ({"amount": -5}, "amount"),
        ({"amount": 10**12}, "amount"),
        ({"amount": "10"}, "amount"),
        ({"amount": True}, "amount"),
        ({"kind": "gold"}, "kind"),
        ({"kind": PAID, "expires_at": _days(3)}, "expires_at"),
        ({"expires_at": timezone.now() - timedelta(minutes=1)}, "expires_at"),
        ({"description": "x" * 256}, "description"),
    ],
)
def test_earn_refuses_bad_input(user, kwargs, field):
    arguments = {"user_id": user.pk, "amount": 10, "kind": FREE, "description": "d", **kwargs}
    with pytest.raises(ValidationFailed) as refused:
        points_earn(**arguments)
    assert field in refused.value.details
    assert not PointEntry.objects.exists()


def test_earn_for_an_unknown_user_is_not_found(db):
    with pytest.raises(NotFound):
        points_earn(user_id=999_999_999, amount=1, kind=FREE, description="d")


def _sql(statement: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_the_ledger_refuses_update_and_delete(user):
    entry = earn(user, 10, FREE)
    allocation_use = points_use(user_id=user.pk, amount=1, description="x")
    for statement in (
        lambda: PointEntry.objects.filter(pk=entry.pk).update(amount=99),
        lambda: _sql("DELETE FROM points_entry WHERE id = %s", entry.pk),
        lambda: PointAllocation.objects.filter(entry=allocation_use).update(amount=5),
    ):
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            statement()
    assert PointEntry.objects.get(pk=entry.pk).amount == 10


def test_the_balance_is_cached_and_forgotten_when_a_change_commits(
    user, django_capture_on_commit_callbacks
):
    # given a balance read once (cached)
    earn(user, 10, FREE)
    assert points_balance_get(user_id=user.pk).total == 10
    assert cache.get(balance_cache_key(user_id=user.pk)) == (10, 0)
    # when a change commits
    with django_capture_on_commit_callbacks(execute=True):
        points_use(user_id=user.pk, amount=3, description="x")
    # then the cached balance is gone and the next read is right
    assert cache.get(balance_cache_key(user_id=user.pk)) is None
    assert points_balance_get(user_id=user.pk).total == 7


def test_the_cache_never_decides_a_spend(user):
    # given a cache that claims a fortune
    earn(user, 10, FREE)
    cache.set(balance_cache_key(user_id=user.pk), (1_000_000, 0), 60)
    # when / then the database decides
    with pytest.raises(InsufficientPoints):
        points_use(user_id=user.pk, amount=11, description="x")
    assert balances(user) == (10, 0)


def test_a_cached_balance_never_outlives_the_next_expiry(user, settings):
    # given free points expiring in 30 s and a cache time of 60 s
    settings.POINTS_BALANCE_CACHE_SECONDS = 60
    earn(user, 10, FREE, expires_at=timezone.now() + timedelta(seconds=30))
    # when the balance is read
    points_balance_get(user_id=user.pk)
    # then it is cached until the expiry at the latest
    assert 0 < cache.ttl(balance_cache_key(user_id=user.pk)) <= 30
