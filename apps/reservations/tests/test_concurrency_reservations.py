"""Reservations racing each other on real PostgreSQL, in real threads."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from apps.accounts.tests.helpers import UserFactory
from apps.core.exceptions import InvalidState
from apps.core.testing import run_concurrently, wait_until_blocked_on_lock
from apps.core.tests.helpers import client_for
from apps.ledger.models import StockMovement
from apps.products.tests.helpers import ProductFactory, WarehouseFactory
from apps.reservations.errors import InsufficientStock, ReservationExpired
from apps.reservations.services import (
    LineRequest,
    reservation_cancel,
    reservation_confirm,
    reservation_create,
    reservation_expire_due,
    transitions,
)
from apps.reservations.services import reserve as reserving
from apps.reservations.tests.helpers import Competitor, make_due, reserve
from apps.stock.holds import services as holds_services
from apps.stock.holds.store import OneStepHoldStore, Taken
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


def test_50_shoppers_racing_for_20_units_get_exactly_20_holds():
    # given
    product = ProductFactory()
    stock_of(product, WarehouseFactory(), 20)
    users = UserFactory.create_batch(50)

    # when 50 threads reserve 1 unit each over HTTP at the same moment
    def buy(i):
        response = client_for(users[i]).post(
            "/api/v1/reservations/",
            {"order_id": f"flash-{i}", "lines": [{"product_id": str(product.pk), "quantity": 1}]},
            format="json",
        )
        return response.status_code, response.json()

    results = run_concurrently(buy, threads=50)

    # then exactly 20 succeed, 30 are refused with insufficient_stock, nothing oversold
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] * 20 + [409] * 30, statuses
    assert {body["error"]["code"] for status, body in results if status == 409} == {
        "insufficient_stock"
    }
    stock = Stock.objects.get()
    assert (stock.on_hand, stock.reserved) == (20, 20)
    assert Reservation.objects.count() == 20
    assert StockMovement.objects.filter(type="reserve").count() == 20


def test_opposite_line_orders_never_deadlock():
    # given two products, plenty of each
    warehouse = WarehouseFactory()
    a, b = ProductFactory(), ProductFactory()
    stock_of(a, warehouse, 1000)
    stock_of(b, warehouse, 1000)
    users = UserFactory.create_batch(16)

    # when half the threads reserve [A, B] and half [B, A] at once
    def buy(i):
        first, second = (a, b) if i % 2 else (b, a)
        return reservation_create(
            user_id=users[i].pk,
            order_id=f"x-{i}",
            lines=[LineRequest(first.pk, 3), LineRequest(second.pk, 2)],
        )

    results = run_concurrently(buy, threads=16, timeout=30)

    # then all succeed (a deadlock would surface as an error or a stuck thread)
    assert all(isinstance(r, Reservation) for r in results), results
    # each product: 8 threads took 3 and 8 took 2
    assert Stock.objects.get(product=a).reserved == Stock.objects.get(product=b).reserved == 40


def test_releases_and_reserves_over_the_same_rows_never_deadlock():
    """A cancel or confirm locks its stock rows in the release statement itself;
    they must still come in primary-key order, as a reserve takes them."""
    # given three products in two warehouses (six rows), and holds on all of them
    warehouses = [WarehouseFactory(priority=1), WarehouseFactory(priority=2)]
    products = ProductFactory.create_batch(3)
    for product in products:
        for warehouse in warehouses:
            stock_of(product, warehouse, 500)
    users = UserFactory.create_batch(24)
    every_row = [LineRequest(p.pk, 700) for p in products]  # spans both rows of each
    holds = [reservation_create(user_id=users[0].pk, order_id="h-0", lines=every_row[::-1])]

    # when some threads cancel or confirm multi-row holds while others reserve
    # the same rows in the opposite line order, then cancel or confirm them
    def work(i):
        if i == 0:
            return reservation_cancel(reservation_id=holds[0].pk, user=users[0])
        lines = [LineRequest(p.pk, 5) for p in (products if i % 2 else products[::-1])]
        held = reservation_create(user_id=users[i].pk, order_id=f"r-{i}", lines=lines)
        if i % 3 == 0:
            return reservation_confirm(reservation_id=held.pk, user=users[i])
        return reservation_cancel(reservation_id=held.pk, user=users[i])

    results = run_concurrently(work, threads=24, timeout=60)

    # then every call succeeded, and the counters are exact
    assert all(isinstance(r, Reservation) for r in results), results
    confirmed_units = sum(5 for i in range(1, 24) if i % 3 == 0)  # per product
    for product in products:
        rows = Stock.objects.filter(product=product)
        assert sum(r.reserved for r in rows) == 0
        assert sum(r.on_hand for r in rows) == 1000 - confirmed_units


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


def test_eight_concurrent_creates_with_one_key_make_one_reservation():
    product = ProductFactory()
    stock_of(product, WarehouseFactory(), 50)
    user = UserFactory()
    body = {"order_id": "same", "lines": [{"product_id": str(product.pk), "quantity": 2}]}

    def post(_):
        response = client_for(user).post(
            "/api/v1/reservations/", body, format="json", HTTP_IDEMPOTENCY_KEY="checkout-1"
        )
        return response.status_code, response.get("Idempotent-Replayed")

    results = run_concurrently(post, threads=8)
    assert Reservation.objects.count() == 1
    assert Stock.objects.get().reserved == 2
    assert sum(1 for status, replayed in results if status == 201 and not replayed) == 1
    assert all(status in (201, 409) for status, _ in results), results


def test_the_sweeper_releases_10000_due_holds_in_batches_exactly():
    # given 10,000 due holds of 1 unit, written in bulk (stock, lines, ledger agree)
    from bench.holds import due_holds

    product = ProductFactory()
    stock = due_holds(product, WarehouseFactory(), count=10_000, user=UserFactory())
    # when
    expired = reservation_expire_due(batch_size=1000)
    # then
    assert expired == 10_000
    stock.refresh_from_db()
    assert (stock.on_hand, stock.reserved) == (10_000, 0)
    assert not Reservation.objects.filter(status="pending").exists()
    assert StockMovement.objects.filter(type="expire").count() == 10_000


def _first_attempt_finds_rows_changed(monkeypatch) -> None:
    """The one-step reserve answers as if a row had lost its units meanwhile, so
    the reserve is decided under the locks (a store without one step always is)."""
    store = reserving.holds_store()
    if isinstance(store, OneStepHoldStore):
        monkeypatch.setattr(store, "take_if_unchanged", lambda **kwargs: Taken.CHANGED)


def _in_a_thread(call) -> None:
    thread = threading.Thread(target=lambda: (call(), connection.close()))
    thread.start()
    thread.join(10)


@pytest.mark.parametrize("path", ["one step", "under the locks"])
def test_a_product_deleted_between_the_checks_and_the_locks_is_refused(monkeypatch, path):
    """Deterministic: the reservation passed its product checks; a delete then
    commits (it takes the same stock locks); the reservation, once it holds the
    locks, re-checks and refuses instead of holding a deleted product."""
    from apps.core.exceptions import NotFound
    from apps.stock.services import product_delete

    product = ProductFactory()
    stock_of(product, WarehouseFactory(), 5)
    user = UserFactory()
    store = reserving.holds_store()
    if path == "one step":
        if not isinstance(store, OneStepHoldStore):
            pytest.skip("this store decides every reserve under the locks")
        real_take = store.take_if_unchanged

        def delete_then_take(**kwargs):
            _in_a_thread(lambda: product_delete(product_id=product.pk))
            return real_take(**kwargs)

        monkeypatch.setattr(store, "take_if_unchanged", delete_then_take)
    else:
        _first_attempt_finds_rows_changed(monkeypatch)
        real_lock = store.lock_for_reserve

        def delete_then_lock(**kwargs):
            _in_a_thread(lambda: product_delete(product_id=product.pk))
            return real_lock(**kwargs)

        monkeypatch.setattr(store, "lock_for_reserve", delete_then_lock)
    with pytest.raises(NotFound):
        reservation_create(user_id=user.pk, order_id="late", lines=[LineRequest(product.pk, 1)])
    assert not Reservation.objects.exists()
    assert Stock.objects.get().reserved == 0


def _end_the_sale_while_the_reserve_waits(product) -> threading.Thread:
    """A thread that locks the product's stock row, waits until another backend
    waits for that lock, takes the product off sale and commits (giving the lock
    up then)."""
    from django.db import transaction

    from apps.products.services import product_update

    locked = threading.Event()

    def hold_and_end_the_sale():
        try:
            with transaction.atomic():
                list(Stock.objects.select_for_update().filter(product=product))
                locked.set()
                wait_until_blocked_on_lock(count=1)
                product_update(product=product, changes={"status": "inactive"})
        finally:
            connection.close()

    thread = threading.Thread(target=hold_and_end_the_sale)
    thread.start()
    assert locked.wait(10)
    return thread


@pytest.mark.parametrize("path", ["one step", "under the locks"])
def test_a_product_taken_off_sale_while_the_reserve_waits_is_refused(monkeypatch, path):
    """Deterministic: the checks before the locks pass; the product's sale ends
    (committed) while the reserve waits for, or holds, the stock lock; the write
    re-reads the product under the lock, writes nothing, and the reserve answers
    409 naming it."""
    from apps.products.errors import ProductNotOnSale
    from apps.products.services import product_update

    product = ProductFactory()
    stock_of(product, WarehouseFactory(), 5)
    user = UserFactory()
    holder = None
    if path == "one step":
        holder = _end_the_sale_while_the_reserve_waits(product)
    else:
        _first_attempt_finds_rows_changed(monkeypatch)
        real_lock = reserving.holds_store().lock_for_reserve

        def lock_then_end_the_sale(**kwargs):
            rows = real_lock(**kwargs)
            _in_a_thread(lambda: product_update(product=product, changes={"status": "inactive"}))
            return rows

        monkeypatch.setattr(reserving.holds_store(), "lock_for_reserve", lock_then_end_the_sale)
    with pytest.raises(ProductNotOnSale) as raised:
        reservation_create(user_id=user.pk, order_id="late", lines=[LineRequest(product.pk, 1)])
    if holder is not None:
        holder.join(10)
    assert raised.value.details == [{"product_id": str(product.pk), "reason": "status is inactive"}]
    assert not Reservation.objects.exists()
    stock = Stock.objects.get()
    assert (stock.on_hand, stock.reserved) == (5, 0)
    assert not StockMovement.objects.filter(type="reserve").exists()
