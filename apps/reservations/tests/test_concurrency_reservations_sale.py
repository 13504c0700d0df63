"""A product leaving sale (deleted, or made inactive) between a reserve's checks
and its locks, on real PostgreSQL: the reserve re-checks under the locks and
refuses."""

import threading

import pytest
from django.db import connection

from apps.accounts.tests.helpers import UserFactory
from apps.core.testing import wait_until_blocked_on_lock
from apps.ledger.models import StockMovement
from apps.products.tests.helpers import ProductFactory, WarehouseFactory
from apps.reservations.services import (
    LineRequest,
    reservation_create,
)
from apps.reservations.services import reserve as reserving
from apps.stock.holds.store import OneStepHoldStore, Taken
from apps.stock.models import Reservation, Stock
from apps.stock.tests.helpers import stock_of

pytestmark = pytest.mark.django_db(transaction=True)


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
    from apps.core.errors import NotFound
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
