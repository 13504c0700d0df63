"""The one-step paths: a reserve allocated from a read without locks, a confirm or
cancel of a hold read without a lock; each goes on under its locks only if what
it read still holds, and otherwise is decided again under the locks."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.accounts.tests.helpers import UserFactory
from apps.core.errors import NotFound
from apps.core.testing import wait_until_blocked_on_lock
from apps.ledger.models import StockMovement
from apps.products.tests.helpers import ProductFactory, WarehouseFactory
from apps.reservations.errors import InsufficientStock
from apps.reservations.services import (
    LineRequest,
    reservation_cancel,
    reservation_confirm,
    reservation_create,
    reservation_extend,
)
from apps.reservations.services import reserve as reserving
from apps.reservations.tests.helpers import Competitor, make_due, reserve
from apps.stock.holds.store import OneStepHoldStore
from apps.stock.models import Reservation, Stock
from apps.stock.tests.helpers import stock_of

pytestmark = pytest.mark.django_db(transaction=True)


def _lines(reservation) -> list[tuple[str, int]]:
    return sorted((line.warehouse.code, line.quantity) for line in reservation.line_list)


def test_on_postgresql_a_reserve_is_two_statements_and_its_cancel_one(reservation_store):
    if not isinstance(reservation_store, OneStepHoldStore):
        pytest.skip("the portable store takes the locked path, inside a transaction")
    product = ProductFactory()
    stock_of(product, WarehouseFactory(), 5)
    user = UserFactory()
    with CaptureQueriesContext(connection) as reserving:
        held = reservation_create(
            user_id=user.pk, order_id="o-1", lines=[LineRequest(product.pk, 2)]
        )
    with CaptureQueriesContext(connection) as cancelling:
        reservation_cancel(reservation_id=held.pk, user=user)
    # resolve, then the locking write; the cancel reads and releases in one: no
    # BEGIN, no COMMIT, no lock held across a round trip.
    assert [q["sql"].split("(")[0].split()[-1] for q in reserving.captured_queries][1:] == [
        "reservations_reserve"
    ]
    assert len(reserving.captured_queries) == 2
    assert len(cancelling.captured_queries) == 1
    assert "reservations_release" in cancelling.captured_queries[0]["sql"]
    stock = Stock.objects.get()
    assert (stock.on_hand, stock.reserved) == (5, 0)


def _after_the_read(monkeypatch, competitor) -> None:
    """The next reserve's read without locks is followed, once, by `competitor`."""
    store = reserving.holds_store()
    real_resolve = store.resolve

    def resolve_then_compete(**kwargs):
        candidates = real_resolve(**kwargs)
        monkeypatch.setattr(store, "resolve", real_resolve)
        competitor()
        return candidates

    monkeypatch.setattr(store, "resolve", resolve_then_compete)


def test_a_row_that_lost_its_units_after_the_read_is_decided_under_the_locks(monkeypatch):
    # given 5 units in the first warehouse and 10 in the second
    product = ProductFactory()
    first = WarehouseFactory(code="FIRST", priority=1)
    second = WarehouseFactory(code="SECOND", priority=2)
    stock_of(product, first, 5)
    stock_of(product, second, 10)
    # when 3 are asked for: allocated from the read (5 free in FIRST), all 3 from
    # FIRST; another shopper takes 4 of them before the lock
    _after_the_read(monkeypatch, lambda: reserve(product, 4, warehouse=first))
    held = reservation_create(
        user_id=UserFactory().pk, order_id="late", lines=[LineRequest(product.pk, 3)]
    )
    # then the locked decision takes the 1 left in FIRST and 2 from SECOND
    assert _lines(held) == [("FIRST", 1), ("SECOND", 2)]
    assert sorted(Stock.objects.values_list("warehouse__code", "reserved")) == [
        ("FIRST", 5),
        ("SECOND", 2),
    ]


def test_units_gone_after_the_read_are_a_409_decided_under_the_locks(monkeypatch):
    product = ProductFactory()
    stock_of(product, WarehouseFactory(), 5)
    _after_the_read(monkeypatch, lambda: reserve(product, 4))
    with pytest.raises(InsufficientStock) as raised:
        reservation_create(
            user_id=UserFactory().pk, order_id="x", lines=[LineRequest(product.pk, 3)]
        )
    assert raised.value.details == [{"product_id": str(product.pk), "requested": 3, "available": 1}]
    assert Reservation.objects.count() == 1
    assert Stock.objects.get().reserved == 4


def test_an_expired_hold_on_a_row_is_ended_by_the_next_reserve_even_with_units_to_spare():
    product = ProductFactory()
    stock_of(product, WarehouseFactory(), 10)
    stale = reserve(product, 2)
    make_due(stale)
    reserve(product, 1)
    stale.refresh_from_db()
    assert stale.status == "expired"
    assert StockMovement.objects.filter(reservation_id=stale.pk, type="expire").count() == 1
    assert Stock.objects.get().reserved == 1


@pytest.mark.parametrize("transition", [reservation_cancel, reservation_confirm])
def test_a_hold_extended_after_the_read_is_ended_once_under_the_lock(transition):
    """Deterministic: an extend holds the reservation's lock, uncommitted; the end
    reads the old expiry, then waits on the lock; the extend commits; the end
    finds the expiry changed, decides again under the lock and ends it once."""
    product = ProductFactory()
    stock_of(product, WarehouseFactory(), 10)
    user = UserFactory()
    held = reserve(product, 3, user=user, ttl_seconds=60)
    competitor = Competitor(lambda: transition(reservation_id=held.pk, user=user))
    with transaction.atomic():
        reservation_extend(reservation_id=held.pk, user=user, ttl_seconds=600)
        competitor.thread.start()
        wait_until_blocked_on_lock(count=1)
    ended = competitor.result()
    expected = "cancelled" if transition is reservation_cancel else "confirmed"
    assert ended.status == expected
    # decided under the lock, on the extended hold (a one-step end would answer
    # the expiry it read before the extend)
    assert ended.expires_at == Reservation.objects.get().expires_at > held.expires_at
    assert Reservation.objects.get().status == expected
    stock = Stock.objects.get()
    shipped = 3 if transition is reservation_confirm else 0
    assert (stock.on_hand, stock.reserved) == (10 - shipped, 0)
    assert StockMovement.objects.filter(reservation_id=held.pk).exclude(type="reserve").count() == 1


def test_a_hold_that_is_not_the_callers_is_a_404_and_stays_held():
    product = ProductFactory()
    stock_of(product, WarehouseFactory(), 10)
    owner, stranger = UserFactory.create_batch(2)
    held = reserve(product, 3, user=owner)
    for transition in (reservation_cancel, reservation_confirm):
        with pytest.raises(NotFound):
            transition(reservation_id=held.pk, user=stranger)
    assert Reservation.objects.get().status == "pending"
    assert Stock.objects.get().reserved == 3


def test_staff_end_anyones_hold_in_the_one_step():
    product = ProductFactory()
    stock_of(product, WarehouseFactory(), 10)
    staff = UserFactory(is_staff=True)
    held = reserve(product, 3, user=UserFactory())
    with CaptureQueriesContext(connection) as cancelling:
        ended = reservation_cancel(reservation_id=held.pk, user=staff)
    assert ended.status == "cancelled" and Reservation.objects.get().status == "cancelled"
    assert [(line.quantity, line.pending) for line in ended.line_list] == [(3, False)]
    assert Stock.objects.get().reserved == 0
    if isinstance(reserving.holds_store(), OneStepHoldStore):
        assert len(cancelling.captured_queries) == 1
