"""The ledger's after-values, one rule (apps/ledger/services.py): a movement
records its stock row's counters once its deltas are applied. Python writes them
for the portable store and for inbound and adjustments; the hold functions of
apps/stock/holds/sql/ write them on PostgreSQL. Every test here runs through
both stores (conftest.py) against the same table of expected movements."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.tests.helpers import UserFactory
from apps.ledger.models import StockMovement
from apps.products.tests.helpers import ProductFactory, WarehouseFactory
from apps.reservations.services import (
    LineRequest,
    reservation_cancel,
    reservation_confirm,
    reservation_create,
    reservation_expire_due,
)
from apps.stock.models import Reservation, ReservationLine
from apps.stock.services import stock_adjust, stock_inbound

pytestmark = pytest.mark.django_db


def _due(*reservations) -> None:
    past = timezone.now() - timedelta(seconds=1)
    ids = [r.pk for r in reservations]
    Reservation.objects.filter(pk__in=ids).update(expires_at=past)
    ReservationLine.objects.filter(reservation_id__in=ids).update(expires_at=past)


def _hold(user, product, quantity, order):
    return reservation_create(
        user_id=user.pk, order_id=order, lines=[LineRequest(product.pk, quantity)]
    )


def _reserve_split_then_confirm(user, product):
    reservation_confirm(reservation_id=_hold(user, product, 7, "a").pk, user=user)


def _reserve_then_cancel(user, product):
    reservation_cancel(reservation_id=_hold(user, product, 6, "a").pk, user=user)


def _three_expire_in_one_sweep(user, product):
    holds = [_hold(user, product, quantity, order) for quantity, order in [(2, "a"), (3, "b")]]
    holds.append(_hold(user, product, 4, "c"))  # the rest of A (0) and 4 of B
    _due(*holds)
    assert reservation_expire_due() == 3


def _adjust_under_a_hold_then_cancel(user, product):
    held = _hold(user, product, 2, "a")
    stock_adjust(
        product_id=product.pk, warehouse_code="A", on_hand=2, actor_id=None, reason="count"
    )
    reservation_cancel(reservation_id=held.pk, user=user)


# Warehouse A (priority 1) has 5 units and B (priority 2) 10, each by an inbound.
# Then: type, warehouse, on_hand_delta, reserved_delta, on_hand_after, reserved_after
INBOUND = [("inbound", "A", 5, 0, 5, 0), ("inbound", "B", 10, 0, 10, 0)]
SCENARIOS = {
    "a reserve split over two rows, then confirmed": (
        _reserve_split_then_confirm,
        [
            ("reserve", "A", 0, 5, 5, 5),
            ("reserve", "B", 0, 2, 10, 2),
            ("confirm", "A", -5, -5, 0, 0),
            ("confirm", "B", -2, -2, 8, 0),
        ],
    ),
    "a reserve, then cancelled": (
        _reserve_then_cancel,
        [
            ("reserve", "A", 0, 5, 5, 5),
            ("reserve", "B", 0, 1, 10, 1),
            ("release", "A", 0, -5, 5, 0),
            ("release", "B", 0, -1, 10, 0),
        ],
    ),
    "three holds on one row expired by one sweep": (
        _three_expire_in_one_sweep,
        [
            ("reserve", "A", 0, 2, 5, 2),
            ("reserve", "A", 0, 3, 5, 5),
            ("reserve", "B", 0, 4, 10, 4),
            ("expire", "A", 0, -2, 5, 3),
            ("expire", "A", 0, -3, 5, 0),
            ("expire", "B", 0, -4, 10, 0),
        ],
    ),
    "an adjustment under a hold, then the hold cancelled": (
        _adjust_under_a_hold_then_cancel,
        [
            ("reserve", "A", 0, 2, 5, 2),
            ("adjust", "A", -3, 0, 2, 2),
            ("release", "A", 0, -2, 2, 0),
        ],
    ),
}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_movement_records_its_row_as_changed(scenario):
    act, expected = SCENARIOS[scenario]
    product = ProductFactory()
    for code, priority, units in [("A", 1, 5), ("B", 2, 10)]:
        WarehouseFactory(code=code, priority=priority)
        stock_inbound(product_id=product.pk, warehouse_code=code, quantity=units, actor_id=None)
    act(UserFactory(), product)
    movements = [
        (
            m.type,
            m.warehouse.code,
            m.on_hand_delta,
            m.reserved_delta,
            m.on_hand_after,
            m.reserved_after,
        )
        for m in StockMovement.objects.select_related("warehouse").order_by("pk")
    ]
    assert movements == INBOUND + expected
