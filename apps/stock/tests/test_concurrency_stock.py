"""Stock writes racing each other on real PostgreSQL, in real threads."""

import threading

import pytest

from apps.accounts.tests.helpers import UserFactory
from apps.core.errors import IdempotencyKeyInUse
from apps.core.idempotency import Idempotency, idempotent_call
from apps.core.models import IdempotencyRecord
from apps.core.testing import run_concurrently, wait_until_blocked_on_lock
from apps.core.tests.helpers import client_for
from apps.ledger.models import StockMovement
from apps.products.tests.helpers import ProductFactory, WarehouseFactory
from apps.stock import services
from apps.stock.models import Stock
from apps.stock.tests.helpers import hold, stock_of

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 16


def test_16_first_inbounds_to_a_missing_row_create_one_row_holding_the_sum():
    # given a product and warehouse with no stock row yet
    product, _warehouse = ProductFactory(), WarehouseFactory(code="HOT-1")

    # when 16 threads post inbound of 1..16 units at the same moment
    def inbound(i):
        return services.stock_inbound(
            product_id=product.pk, warehouse_code="HOT-1", quantity=i + 1, actor_id=None
        )

    results = run_concurrently(inbound, threads=THREADS)

    # then one row, holding the exact sum, with one movement per request
    assert not [r for r in results if isinstance(r, BaseException)], results
    stock = Stock.objects.get()
    assert stock.on_hand == sum(range(1, THREADS + 1)) == 136
    assert StockMovement.objects.filter(stock=stock, type="inbound").count() == THREADS
    # every response saw a distinct after-value: no two requests read the same row state
    assert len({r.movement.on_hand_after for r in results}) == THREADS


def test_inbound_over_http_from_16_clients_is_exact():
    product, _warehouse = ProductFactory(), WarehouseFactory(code="HTTP-1")
    token_user = UserFactory(is_warehouse_admin=True)

    def post(_):
        response = client_for(token_user).post(
            "/api/v1/stock/inbound/",
            {"product_id": str(product.pk), "warehouse": "HTTP-1", "quantity": 3},
            format="json",
        )
        return response.status_code

    assert run_concurrently(post, threads=THREADS) == [201] * THREADS
    assert Stock.objects.get().on_hand == 3 * THREADS


def test_adjusts_and_inbounds_interleaved_keep_the_ledger_exact():
    # given a row with stock and a hold
    product, warehouse = ProductFactory(), WarehouseFactory(code="MIX-1")
    hold(stock_of(product, warehouse, 100), 10)

    # when 8 threads add and 8 threads set counts at once
    def work(i):
        if i % 2:
            return services.stock_inbound(
                product_id=product.pk, warehouse_code="MIX-1", quantity=5, actor_id=None
            )
        return services.stock_adjust(
            product_id=product.pk,
            warehouse_code="MIX-1",
            on_hand=50 + i,
            actor_id=None,
            reason="count",
        )

    results = run_concurrently(work, threads=THREADS)

    # then every change happened, in some serial order the ledger records exactly
    assert not [r for r in results if isinstance(r, BaseException)], results
    stock = Stock.objects.get()
    last = StockMovement.objects.filter(stock=stock).latest("id")
    assert stock.on_hand == last.on_hand_after
    assert stock.reserved == 10
    assert StockMovement.objects.filter(stock=stock).count() == 2 + THREADS
    # (the audit hook checks the sums and the running after-values)


def test_adjust_waits_for_a_concurrent_inbound_and_counts_from_its_result(monkeypatch):
    """Deterministic: an adjust starts while an inbound holds the row; PostgreSQL
    shows it blocked; the adjust's movement then measures from the inbound's result."""
    product, warehouse = ProductFactory(), WarehouseFactory(code="DET-1")
    stock_of(product, warehouse, 10)
    from apps.ledger import services as ledger

    real_record = ledger.movement_record
    outcome = {}

    def adjust():
        try:
            outcome["change"] = services.stock_adjust(
                product_id=product.pk,
                warehouse_code="DET-1",
                on_hand=4,
                actor_id=None,
                reason="count",
            )
        finally:
            from django.db import connection

            connection.close()

    def record_then_race(**kwargs):
        movement = real_record(**kwargs)
        if kwargs["type"] == "inbound" and "thread" not in outcome:
            outcome["thread"] = threading.Thread(target=adjust)
            outcome["thread"].start()
            wait_until_blocked_on_lock(count=1)
        return movement

    monkeypatch.setattr(services, "movement_record", record_then_race)
    # when the inbound of 5 is in flight (row locked, movement written, not committed)
    services.stock_inbound(product_id=product.pk, warehouse_code="DET-1", quantity=5, actor_id=None)
    outcome["thread"].join(10)
    # then the adjust saw 15 on hand, and recorded -11 to reach the count of 4
    assert outcome["change"].movement.on_hand_delta == -11
    assert Stock.objects.get().on_hand == 4


def test_eight_concurrent_requests_with_one_idempotency_key_move_stock_once():
    # given
    product, _warehouse = ProductFactory(), WarehouseFactory(code="IDEM-1")
    admin = UserFactory(is_warehouse_admin=True)
    body = {"product_id": str(product.pk), "warehouse": "IDEM-1", "quantity": 4}

    # when 8 clients send the same request with the same key at once
    def post(_):
        response = client_for(admin).post(
            "/api/v1/stock/inbound/", body, format="json", HTTP_IDEMPOTENCY_KEY="dup-42"
        )
        return response.status_code, response.get("Idempotent-Replayed"), response.json()

    results = run_concurrently(post, threads=8)

    # then the stock moved once; every answer is the first one's (201, maybe replayed)
    # or "still in progress" (409), never a second movement
    assert Stock.objects.get().on_hand == 4
    assert StockMovement.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1
    fresh = [r for r in results if r[0] == 201 and r[1] is None]
    replayed = [r for r in results if r[0] == 201 and r[1] == "true"]
    in_use = [r for r in results if r[0] == 409]
    assert len(fresh) == 1
    assert len(fresh) + len(replayed) + len(in_use) == 8, results
    assert all(r[2]["error"]["code"] == "idempotency_key_in_use" for r in in_use)
    assert all(r[2] == fresh[0][2] for r in replayed)


def test_a_duplicate_key_arriving_mid_flight_gets_409_at_once():
    """Deterministic: the duplicate arrives while the first request is inside its
    transaction; it is refused immediately instead of waiting or running twice."""
    user = UserFactory()
    inside, release = threading.Event(), threading.Event()
    outcome = {}

    def key():
        return Idempotency(user_id=user.pk, route="POST /x", key="k", fingerprint="f")

    def slow_work():
        inside.set()
        release.wait(10)
        return user

    def first():
        try:
            outcome["first"] = idempotent_call(key(), slow_work, replayed=pytest.fail)
        finally:
            from django.db import connection

            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert inside.wait(10)
    # when
    with pytest.raises(IdempotencyKeyInUse):
        idempotent_call(
            key(), lambda: pytest.fail("the duplicate must not run"), replayed=pytest.fail
        )
    release.set()
    thread.join(10)
    # then the first completed and its record replays what it made
    assert outcome["first"] == user
    replay = key()
    made = idempotent_call(
        replay, lambda: pytest.fail("a replay must not run"), replayed=lambda pk: f"made {pk}"
    )
    assert made == f"made {user.pk}" and replay.replayed
