"""The hold services called directly (apps/stock/holds/services.py), through
both hold stores: a release as the reservations app calls it, the inline
expiry every writer of stock rows runs, the sweeper's batch, and an extend."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from apps.ledger.tests.helpers import ledger
from apps.products.tests.helpers import ProductFactory, WarehouseFactory
from apps.reservations.tests.helpers import make_due, reserve
from apps.stock.holds.portable import STORE as PORTABLE
from apps.stock.holds.postgresql import STORE as POSTGRESQL
from apps.stock.holds.services import (
    hold_extend,
    holds_expire_due,
    holds_release,
    holds_release_expired,
    holds_store,
)
from apps.stock.holds.store import CANCELLED, CONFIRMED, OneStepHoldStore
from apps.stock.locks import reservation_lock, stock_lock_many
from apps.stock.models import Reservation, ReservationLine, Stock
from apps.stock.tests.helpers import counters, stock_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def split():
    """A product stocked 5 in SEL-1 (priority 1) and 10 in BSN-1 (priority 2)."""
    product = ProductFactory()
    first = stock_of(product, WarehouseFactory(code="SEL-1", priority=1), 5)
    second = stock_of(product, WarehouseFactory(code="BSN-1", priority=2), 10)
    return product, first, second


def _release_locked(held, ending, now):
    """Release `held` as a transition does: the reservation and its rows locked first."""
    with transaction.atomic():
        reservation = reservation_lock(reservation_id=held.pk)
        rows = {
            row.pk: row for row in stock_lock_many(stock_ids=[s.pk for s in Stock.objects.all()])
        }
        holds_release(reservations=[reservation], ending=ending, now=now, stock_rows=rows)
    return reservation, rows


def test_the_store_is_the_postgresql_one_on_postgresql():
    assert connection.vendor == "postgresql"
    assert holds_store() is POSTGRESQL
    assert isinstance(POSTGRESQL, OneStepHoldStore)
    assert not isinstance(PORTABLE, OneStepHoldStore)


def test_a_confirm_release_ships_every_line_and_keeps_what_it_was_given_in_step(split, hold_store):
    # given 7 held over both rows
    product, first, second = split
    held = reserve(product, 7)
    now = timezone.now()
    # when released as confirmed
    reservation, rows = _release_locked(held, CONFIRMED, now)
    # then the units left on_hand, and the ledger says so row by row
    assert counters(first) == (0, 0) and counters(second) == (8, 0)
    assert ledger(reservation_id=held.pk, type="confirm") == [
        ("confirm", -5, -5, 0, 0),
        ("confirm", -2, -2, 8, 0),
    ]
    # and the reservation and rows in memory are as stored
    stored = Reservation.objects.get()
    assert (reservation.status, reservation.confirmed_at) == ("confirmed", now)
    assert (stored.status, stored.confirmed_at, stored.updated_at) == ("confirmed", now, now)
    assert sorted(
        (line.warehouse.code, line.quantity, line.pending) for line in reservation.line_list
    ) == [
        ("BSN-1", 2, False),
        ("SEL-1", 5, False),
    ]
    assert all(line.expires_at == held.expires_at for line in reservation.line_list)
    assert {pk: (row.on_hand, row.reserved) for pk, row in rows.items()} == {
        first.pk: (0, 0),
        second.pk: (8, 0),
    }
    assert not ReservationLine.objects.filter(pending=True).exists()


def test_a_cancel_release_gives_the_units_back(split, hold_store):
    product, first, second = split
    held = reserve(product, 7)
    now = timezone.now()
    reservation, _ = _release_locked(held, CANCELLED, now)
    assert counters(first) == (5, 0) and counters(second) == (10, 0)
    assert ledger(reservation_id=held.pk) == [
        ("reserve", 0, 5, 5, 5),
        ("reserve", 0, 2, 10, 2),
        ("release", 0, -5, 5, 0),
        ("release", 0, -2, 10, 0),
    ]
    assert Reservation.objects.get().cancelled_at == now == reservation.cancelled_at


def test_inline_expiry_ends_a_due_hold_on_the_rows_given_and_locks_its_other_rows(
    split, hold_store
):
    # given a live hold on the second row, and a due one over both rows
    product, first, second = split
    live = reserve(product, 1, warehouse=second.warehouse)
    stale = reserve(product, 7)
    make_due(stale)
    now = timezone.now()
    # when a writer holding the first row only ends what expired on it
    with transaction.atomic():
        rows = {row.pk: row for row in stock_lock_many(stock_ids=[first.pk])}
        holds_release_expired(rows=rows, now=now)
    # then the whole hold ended, the second row taken in to do it and kept in step
    assert Reservation.objects.get(pk=stale.pk).status == "expired"
    assert Reservation.objects.get(pk=live.pk).status == "pending"
    assert {pk: (row.on_hand, row.reserved) for pk, row in rows.items()} == {
        first.pk: (5, 0),
        second.pk: (10, 1),
    }
    assert counters(first) == (5, 0) and counters(second) == (10, 1)
    assert ledger(reservation_id=stale.pk) == [
        ("reserve", 0, 5, 5, 5),
        ("reserve", 0, 2, 10, 3),
        ("expire", 0, -5, 5, 0),
        ("expire", 0, -2, 10, 1),
    ]


def test_inline_expiry_leaves_live_holds_alone(split, hold_store):
    product, first, _ = split
    live = reserve(product, 3)
    with transaction.atomic():
        rows = {row.pk: row for row in stock_lock_many(stock_ids=[first.pk])}
        holds_release_expired(rows=rows, now=timezone.now())
    assert Reservation.objects.get(pk=live.pk).status == "pending"
    assert rows[first.pk].reserved == 3 == counters(first)[1]


@pytest.mark.django_db(transaction=True)
def test_inline_expiry_never_waits_for_a_busy_row_and_leaves_that_hold_to_the_sweeper(
    split, hold_store
):
    # given a due hold over both rows, and the second row locked by another transaction
    product, first, second = split
    stale = reserve(product, 7)
    make_due(stale)
    locked, done = threading.Event(), threading.Event()

    def hold_the_second_row():
        try:
            with transaction.atomic():
                stock_lock_many(stock_ids=[second.pk])
                locked.set()
                done.wait(10)
        finally:
            connection.close()

    other = threading.Thread(target=hold_the_second_row)
    other.start()
    assert locked.wait(10)
    # when a writer holding the first row ends what expired on it
    try:
        with transaction.atomic():
            rows = {row.pk: row for row in stock_lock_many(stock_ids=[first.pk])}
            holds_release_expired(rows=rows, now=timezone.now())
    finally:
        done.set()
        other.join(10)
    # then it did not wait: the hold is left, whole, for the sweeper
    assert Reservation.objects.get(pk=stale.pk).status == "pending"
    assert set(rows) == {first.pk} and rows[first.pk].reserved == 5
    assert counters(first) == (5, 5) and counters(second) == (10, 2)
    with transaction.atomic():
        assert holds_expire_due(now=timezone.now(), limit=10) == 1
    assert counters(first) == (5, 0) and counters(second) == (10, 0)


def test_a_sweep_batch_takes_the_oldest_due_holds_up_to_its_limit(hold_store):
    # given three due holds, due at different times, and a live one
    product = ProductFactory()
    stock = stock_of(product, WarehouseFactory(), 20)
    due = [reserve(product, 1) for _ in range(3)]
    live = reserve(product, 1)
    now = timezone.now()
    for seconds, held in zip((1, 3, 2), due, strict=True):
        Reservation.objects.filter(pk=held.pk).update(expires_at=now - timedelta(seconds=seconds))
        ReservationLine.objects.filter(reservation=held).update(
            expires_at=now - timedelta(seconds=seconds)
        )
    # when
    with transaction.atomic():
        first_batch = holds_expire_due(now=now, limit=2)
    # then the two due longest went, the other waits for the next batch
    statuses = dict(Reservation.objects.values_list("pk", "status"))
    assert first_batch == 2
    assert [statuses[h.pk] for h in due] == ["pending", "expired", "expired"]
    assert counters(stock) == (20, 2)
    with transaction.atomic():
        assert holds_expire_due(now=now, limit=2) == 1
        assert holds_expire_due(now=now, limit=2) == 0
    assert Reservation.objects.get(pk=live.pk).status == "pending"
    assert counters(stock) == (20, 1)
    assert ledger(type="expire") == [
        ("expire", 0, -1, 20, 3),
        ("expire", 0, -1, 20, 2),
        ("expire", 0, -1, 20, 1),
    ]


def test_an_extend_moves_the_reservation_and_its_pending_lines_and_writes_no_movement(
    split, hold_store
):
    product, _, _ = split
    held = reserve(product, 7)
    later = held.expires_at + timedelta(minutes=30)
    now = timezone.now()
    movements = ledger()
    with transaction.atomic():
        reservation = reservation_lock(reservation_id=held.pk)
        hold_extend(reservation=reservation, expires_at=later, now=now)
    stored = Reservation.objects.get()
    assert stored.expires_at == reservation.expires_at == later
    assert stored.updated_at == reservation.updated_at >= now
    assert list(ReservationLine.objects.values_list("expires_at", flat=True)) == [later, later]
    assert ledger() == movements
