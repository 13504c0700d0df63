"""The rule "a hold has expired" in its three languages (apps/stock/holds/rules.py),
held equal case by case: Python's hold_expired, the ORM's expired_holds_q and
SQL's reservations_hold_expired; and the units so expired on a stock row,
counted by the ORM annotation and by its SQL twin."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from apps.products.tests.helpers import ProductFactory, WarehouseFactory
from apps.reservations.services import reservation_cancel
from apps.reservations.tests.helpers import reserve
from apps.stock.holds.rules import (
    EXPIRED_HOLD_QUANTITY_SQL,
    HOLD_EXPIRED_SQL,
    expired_hold_quantity,
    expired_holds_q,
    hold_expired,
)
from apps.stock.models import Reservation, ReservationLine, Stock

from .helpers import stock_of

pytestmark = pytest.mark.django_db

TICK = timedelta(microseconds=1)
DAY = timedelta(days=1)

# expires_at - now -> expired
CASES = [
    (-timedelta(days=1), True),
    (-TICK, True),
    (timedelta(0), True),
    (TICK, False),
    (timedelta(minutes=15), False),
]


def _due_at(held: Reservation, expires_at) -> None:
    Reservation.objects.filter(pk=held.pk).update(expires_at=expires_at)
    ReservationLine.objects.filter(reservation=held).update(expires_at=expires_at)


@pytest.mark.parametrize(("offset", "expired"), CASES, ids=str)
def test_expiry_is_one_rule_in_python_orm_and_sql(offset, expired):
    product = ProductFactory()
    stock_of(product, WarehouseFactory(), 5)
    held = reserve(product, 1)
    now = timezone.now()
    expires_at = now + offset
    _due_at(held, expires_at)

    assert hold_expired(expires_at, now) is expired
    assert Reservation.objects.filter(expired_holds_q(now), pk=held.pk).exists() is expired
    assert (
        ReservationLine.objects.filter(expired_holds_q(now), reservation=held).exists() is expired
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {HOLD_EXPIRED_SQL}(%s, %s)", [expires_at, now])
        assert cursor.fetchone() == (expired,)


def _expired_units_in_sql(stock: Stock, now) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {EXPIRED_HOLD_QUANTITY_SQL} FROM stock_stock s WHERE s.id = %(stock)s",
            {"now": now, "stock": stock.pk},
        )
        return cursor.fetchone()[0]


def _expired_units_in_the_orm(stock: Stock, now) -> int:
    return Stock.objects.annotate(expired=expired_hold_quantity(now=now)).get(pk=stock.pk).expired


@pytest.mark.parametrize("count", [_expired_units_in_sql, _expired_units_in_the_orm])
def test_the_units_of_expired_holds_on_a_row_are_counted_alike(count):
    # given holds of 1, 2, 4 and 8 units on one row, due a day ago, now, in a
    # microsecond and in a day, and an ended hold of 16 units long past due
    product = ProductFactory()
    stock = stock_of(product, WarehouseFactory(), 100)
    idle = stock_of(ProductFactory(), WarehouseFactory(), 5)
    now = timezone.now()
    holds = [
        (reserve(product, q), offset)
        for q, offset in [(1, -DAY), (2, 0 * DAY), (4, TICK), (8, DAY)]
    ]
    ended = reserve(product, 16)
    reservation_cancel(reservation_id=ended.pk, user=ended.user)
    for held, offset in [*holds, (ended, -9 * DAY)]:  # due only once all are made
        _due_at(held, now + offset)
    # then only the pending, due ones count: 1 + 2
    assert count(stock, now) == 3
    assert count(idle, now) == 0


def test_the_sql_rule_is_inlined_so_the_index_of_pending_lines_serves_it():
    # An opaque function call would be a filter on every pending line of the
    # rows; inlined, it becomes the index condition on (stock, expires_at).
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT 1 FROM reservations_line WHERE stock_id = ANY(%s) AND pending"
            f" AND {HOLD_EXPIRED_SQL}(expires_at, %s)",
            [[1, 2], timezone.now()],
        )
        plan = "\n".join(row for (row,) in cursor.fetchall())
    assert "line_pending_by_stock_idx" in plan
    assert "Index Cond: ((stock_id = ANY (" in plan and "(expires_at <= " in plan, plan
