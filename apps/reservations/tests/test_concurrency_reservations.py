"""Reservations racing each other on real PostgreSQL, in real threads: many
shoppers for few units, opposite line orders, one Idempotency-Key, the sweeper
at scale."""

import pytest

from apps.accounts.tests.helpers import UserFactory
from apps.core.testing import run_concurrently
from apps.core.tests.helpers import client_for
from apps.ledger.models import StockMovement
from apps.products.tests.helpers import ProductFactory, WarehouseFactory
from apps.reservations.services import (
    LineRequest,
    reservation_cancel,
    reservation_confirm,
    reservation_create,
    reservation_expire_due,
)
from apps.stock.models import Reservation, Stock
from apps.stock.tests.helpers import stock_of

pytestmark = pytest.mark.django_db(transaction=True)


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


def test_the_same_order_sent_at_once_holds_once_and_every_other_answer_names_it():
    """A client retrying an order whose answer it lost, racing its own first
    request: one hold; every other answer is 409 naming that hold."""
    product = ProductFactory()
    stock_of(product, WarehouseFactory(), 100)
    user = UserFactory()

    def send(_):
        response = client_for(user).post(
            "/api/v1/reservations/",
            {"order_id": "lost-1", "lines": [{"product_id": str(product.pk), "quantity": 2}]},
            format="json",
        )
        return response.status_code, response.json()

    results = run_concurrently(send, threads=12)

    made = [body for status, body in results if status == 201]
    assert len(made) == 1, results
    refused = [body["error"] for status, body in results if status != 201]
    assert {(error["code"], error["details"]["reservation_id"]) for error in refused} == {
        ("duplicate_order_id", made[0]["id"])
    }
    assert len(refused) == 11
    assert Stock.objects.get().reserved == 2 and Reservation.objects.count() == 1


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
