"""Confirm, cancel and the sweeper racing for one hold on real PostgreSQL, in
real threads: exactly one outcome, decided under the reservation's lock."""

import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.core.errors import InvalidState
from apps.core.testing import run_concurrently, wait_until_blocked_on_lock
from apps.ledger.models import StockMovement
from apps.products.tests.helpers import ProductFactory, WarehouseFactory
from apps.reservations.errors import InsufficientStock, ReservationExpired
from apps.reservations.services import (
    reservation_cancel,
    reservation_confirm,
    reservation_expire_due,
    transitions,
)
from apps.reservations.tests.helpers import Competitor, make_due, reserve
from apps.stock.holds import services as holds_services
from apps.stock.holds.store import OneStepHoldStore
from apps.stock.models import Reservation, ReservationLine, Stock
from apps.stock.tests.helpers import stock_of

pytestmark = pytest.mark.django_db(transaction=True)


def _blocked_before_release(monkeypatch, call) -> Competitor:
    """Deterministic race: this thread takes the path under the reservation's lock
    (its one-step attempt is told the hold changed meanwhile); the first time it
    is about to release there, holding the lock, `call` starts in another thread
    and is seen waiting on a lock in PostgreSQL; then the release goes on."""
    competitor = Competitor(call)
    store = transitions.holds_store()
    real_release = transitions.holds_release
    this_thread = threading.current_thread()
    if isinstance(store, OneStepHoldStore):
        real_end_if_pending = store.end_if_pending

        def end_if_pending_finds_it_changed(**kwargs):
            if threading.current_thread() is this_thread:
                return Reservation.objects.get(pk=kwargs["reservation_id"]), []
            return real_end_if_pending(**kwargs)

        monkeypatch.setattr(store, "end_if_pending", end_if_pending_finds_it_changed)

    def release_after_competitor_waits(*args, **kwargs):
        if threading.current_thread() is this_thread and competitor.thread.ident is None:
            competitor.thread.start()
            wait_until_blocked_on_lock(count=1)
        return real_release(*args, **kwargs)

    for module in (transitions, holds_services):  # a transition's release, the sweeper's
        monkeypatch.setattr(module, "holds_release", release_after_competitor_waits)
    return competitor


def _ok(results) -> list:
    errors = [
        r
        for r in results
        if isinstance(r, BaseException)
        and not isinstance(r, InsufficientStock | InvalidState | ReservationExpired)
    ]
    assert not errors, errors
    return results


def test_confirm_racing_the_sweeper_has_exactly_one_winner():
    # given 12 holds that are due now
    product = ProductFactory()
    stock_of(product, WarehouseFactory(), 100)
    holds = [reserve(product, 2) for _ in range(12)]
    # that expire 300 ms from now, while 12 confirms and the sweeper run
    future = timezone.now() + timedelta(milliseconds=300)
    Reservation.objects.update(expires_at=future)
    ReservationLine.objects.update(expires_at=future)

    # when confirms and the sweeper run together around the expiry moment
    def work(i):
        if i < 12:
            try:
                return reservation_confirm(reservation_id=holds[i].pk, user=holds[i].user)
            except ReservationExpired as exc:
                return exc
        import time

        time.sleep(0.3)
        return reservation_expire_due()

    _ok(run_concurrently(work, threads=13))

    # then every hold ended exactly once: confirmed or expired, never both
    states = dict(Reservation.objects.values_list("pk", "status"))
    assert set(states.values()) <= {"confirmed", "expired"}
    confirmed = [pk for pk, s in states.items() if s == "confirmed"]
    expired = [pk for pk, s in states.items() if s == "expired"]
    assert len(confirmed) + len(expired) == 12
    stock = Stock.objects.get()
    assert stock.reserved == 0
    assert stock.on_hand == 100 - 2 * len(confirmed)
    for pk in confirmed:
        assert not StockMovement.objects.filter(reservation_id=pk, type="expire").exists()
    for pk in expired:
        assert not StockMovement.objects.filter(reservation_id=pk, type="confirm").exists()


def test_confirm_blocked_by_the_sweeper_then_sees_it_expired(monkeypatch):
    """Deterministic: the sweeper holds the due reservation's lock; a confirm
    arrives, PostgreSQL shows it waiting; the sweeper commits; the confirm loses."""
    product = ProductFactory()
    stock_of(product, WarehouseFactory(), 10)
    held = reserve(product, 4)
    make_due(held)
    competitor = _blocked_before_release(
        monkeypatch, lambda: reservation_confirm(reservation_id=held.pk, user=held.user)
    )
    # when
    assert reservation_expire_due() == 1
    # then
    assert isinstance(competitor.result(), ReservationExpired)
    stock = Stock.objects.get()
    assert (stock.on_hand, stock.reserved) == (10, 0)


def test_cancel_racing_confirm_has_exactly_one_outcome():
    product = ProductFactory()
    stock_of(product, WarehouseFactory(), 100)
    holds = [reserve(product, 1) for _ in range(8)]

    def work(i):
        held = holds[i // 2]
        action = reservation_confirm if i % 2 else reservation_cancel
        try:
            return action(reservation_id=held.pk, user=held.user).status
        except InvalidState as exc:
            return exc

    results = _ok(run_concurrently(work, threads=16))

    states = list(Reservation.objects.values_list("status", flat=True))
    confirmed = states.count("confirmed")
    assert confirmed + states.count("cancelled") == 8
    stock = Stock.objects.get()
    assert (stock.on_hand, stock.reserved) == (100 - confirmed, 0)
    # the loser of each pair saw the winner's state: a cancelled hold refuses a confirm
    # (409) and a confirmed one refuses a cancel (409)
    assert sum(isinstance(r, InvalidState) for r in results) == 8


def test_cancel_waits_for_a_confirm_in_flight_then_refuses(monkeypatch):
    """Deterministic: a confirm holds the reservation lock; the cancel arrives and
    waits; once the confirm commits the cancel sees 'confirmed' and answers 409."""
    product = ProductFactory()
    stock_of(product, WarehouseFactory(), 5)
    held = reserve(product, 2)
    competitor = _blocked_before_release(
        monkeypatch, lambda: reservation_cancel(reservation_id=held.pk, user=held.user)
    )
    confirmed = reservation_confirm(reservation_id=held.pk, user=held.user)
    assert confirmed.status == "confirmed"
    assert isinstance(competitor.result(), InvalidState)
    stock = Stock.objects.get()
    assert (stock.on_hand, stock.reserved) == (3, 0)
