"""reservation_create called directly (apps/reservations/services/reserve.py),
through both hold stores: what it answers, the counters and ledger rows it
leaves, its refusals with their details, and its replays by Idempotency-Key.
Confirm, cancel, extend and the sweeper are test_services_reservations_transitions'."""

import uuid
from datetime import timedelta

import pytest
from django.conf import settings

from apps.accounts.tests.helpers import UserFactory
from apps.core.errors import (
    IdempotencyKeyMismatch,
    IdempotentReplay,
    NotFound,
    ValidationFailed,
)
from apps.core.tests.helpers import idempotency_key
from apps.ledger.models import StockMovement
from apps.ledger.tests.helpers import ledger
from apps.products.tests.helpers import ProductFactory, WarehouseFactory
from apps.reservations.errors import DuplicateOrderId, InsufficientStock
from apps.reservations.services import LineRequest, reservation_create
from apps.stock.models import Reservation, ReservationLine, Stock
from apps.stock.tests.helpers import counters, stock_of

pytestmark = pytest.mark.django_db


def _create(user, *lines: LineRequest, order_id="o-1", **extra) -> Reservation:
    return reservation_create(user_id=user.pk, order_id=order_id, lines=list(lines), **extra)


def _held(reservation) -> list[tuple[str, int]]:
    return sorted((line.warehouse.code, line.quantity) for line in reservation.line_list)


def _nothing_reserved() -> bool:
    return not Reservation.objects.exists() and not Stock.objects.filter(reserved__gt=0).exists()


def test_a_reserve_answers_the_pending_hold_with_its_lines_as_stored(shop, user):
    # given 5 in SEL-1 (first by priority) and 10 in BSN-1
    product, first, second = shop
    # when 7 are asked for anywhere
    held = _create(user, LineRequest(product.pk, 7))
    # then the first warehouse gives all it has, the second the rest
    stored = Reservation.objects.get()
    assert (held.pk, held.user_id, held.order_id, held.status) == (
        stored.pk,
        user.pk,
        "o-1",
        "pending",
    )
    assert held.expires_at == stored.expires_at == held.created_at + timedelta(seconds=900)
    assert _held(held) == _held(stored) == [("BSN-1", 2), ("SEL-1", 5)]
    assert {line.expires_at for line in held.line_list} == {held.expires_at}
    assert all(line.pending for line in ReservationLine.objects.all())
    # and each row's counter moved with its movement
    assert counters(Stock.objects.get(warehouse=first)) == (5, 5)
    assert counters(Stock.objects.get(warehouse=second)) == (10, 2)
    assert ledger(reservation_id=held.pk) == [
        ("reserve", 0, 5, 5, 5),
        ("reserve", 0, 2, 10, 2),
    ]
    reserves = StockMovement.objects.filter(type="reserve")
    assert set(reserves.values_list("actor_id", flat=True)) == {user.pk}


def test_a_named_warehouse_is_served_before_lines_that_take_any(shop, user):
    """So a line for any warehouse cannot take the units a named line needs."""
    product, _, _ = shop
    held = _create(
        user,
        LineRequest(product.pk, 5),
        LineRequest(product.pk, 5, warehouse_code=" sel-1 "),
    )
    assert _held(held) == [("BSN-1", 5), ("SEL-1", 5)]


def test_an_inactive_warehouse_gives_nothing(shop, user):
    product, first, _ = shop
    type(first).objects.filter(pk=first.pk).update(is_active=False)
    with pytest.raises(InsufficientStock) as raised:
        _create(user, LineRequest(product.pk, 11))
    assert raised.value.details == [
        {"product_id": str(product.pk), "requested": 11, "available": 10}
    ]
    held = _create(user, LineRequest(product.pk, 10), order_id="o-2")
    assert _held(held) == [("BSN-1", 10)]


def test_a_shortage_names_each_short_product_and_reserves_nothing(shop, user):
    # given a product stocked nowhere next to the shop's
    product, _, _ = shop
    unstocked = ProductFactory()
    # when
    with pytest.raises(InsufficientStock) as raised:
        _create(user, LineRequest(product.pk, 3), LineRequest(unstocked.pk, 1))
    # then
    assert (raised.value.code, raised.value.status_code) == ("insufficient_stock", 409)
    assert raised.value.details == [
        {"product_id": str(unstocked.pk), "requested": 1, "available": 0}
    ]
    assert _nothing_reserved() and not StockMovement.objects.filter(type="reserve").exists()


@pytest.mark.parametrize("ttl", [settings.RESERVATION_MIN_TTL_SECONDS, 3600, 86400])
def test_a_hold_lasts_the_ttl_asked_for(shop, user, ttl):
    product, _, _ = shop
    held = _create(user, LineRequest(product.pk, 1), ttl_seconds=ttl)
    assert held.expires_at - held.created_at == timedelta(seconds=ttl)


@pytest.mark.parametrize("ttl", [0, 59, 86401])
def test_a_ttl_out_of_bounds_is_invalid(shop, user, ttl):
    product, _, _ = shop
    with pytest.raises(ValidationFailed) as raised:
        _create(user, LineRequest(product.pk, 1), ttl_seconds=ttl)
    assert raised.value.details == {"ttl_seconds": ["Must be between 60 and 86400."]}
    assert _nothing_reserved()


@pytest.mark.parametrize("count", [0, 101])
def test_an_order_of_no_lines_or_too_many_is_invalid(shop, user, count):
    product, _, _ = shop
    with pytest.raises(ValidationFailed) as raised:
        _create(user, *[LineRequest(product.pk, 1)] * count)
    assert raised.value.details == {"lines": ["Give 1 to 100 lines."]}
    assert _nothing_reserved()


@pytest.mark.parametrize("quantity", [0, -3])
def test_a_line_of_fewer_than_one_unit_is_invalid(shop, user, quantity):
    product, _, _ = shop
    with pytest.raises(ValidationFailed):
        _create(user, LineRequest(product.pk, quantity))
    assert _nothing_reserved()


def test_100_lines_of_one_product_are_one_demand_and_one_line_per_row(user):
    product = ProductFactory()
    stock = stock_of(product, WarehouseFactory(code="SEL-1"), 100)
    held = _create(user, *[LineRequest(product.pk, 1)] * 100)
    assert _held(held) == [("SEL-1", 100)]
    assert ledger(stock=stock)[-1] == ("reserve", 0, 100, 100, 100)


def test_unknown_products_and_warehouses_are_not_found_by_name(shop, user):
    product, _, _ = shop
    ghost = uuid.uuid4()
    with pytest.raises(NotFound) as no_product:
        _create(user, LineRequest(ghost, 1))
    with pytest.raises(NotFound) as no_warehouse:
        _create(user, LineRequest(product.pk, 1, warehouse_code="nope-1"))
    assert no_product.value.details == {"product_ids": [str(ghost)]}
    assert no_warehouse.value.details == {"warehouses": ["NOPE-1"]}
    assert _nothing_reserved()


def test_an_order_id_is_one_hold_per_user(shop, user):
    product, first, _ = shop
    held = _create(user, LineRequest(product.pk, 2))
    with pytest.raises(DuplicateOrderId) as raised:
        _create(user, LineRequest(product.pk, 3))
    assert (raised.value.code, raised.value.details) == (
        "duplicate_order_id",
        {"order_id": "o-1", "reservation_id": str(held.pk)},
    )
    assert Reservation.objects.count() == 1
    assert counters(Stock.objects.get(warehouse=first)) == (5, 2)
    _create(UserFactory(), LineRequest(product.pk, 3))  # another user's o-1
    assert Reservation.objects.count() == 2


def test_reservation_create_takes_keyword_arguments_only(shop, user):
    product, _, _ = shop
    with pytest.raises(TypeError):
        reservation_create(user.pk, "o-1", [LineRequest(product.pk, 1)])
    assert _nothing_reserved()


# --- Idempotency-Key ---------------------------------------------------------------


def test_a_reserve_replayed_with_its_key_answers_the_same_hold_and_holds_once(shop, user):
    product, _, _ = shop
    first = _create(user, LineRequest(product.pk, 7), idempotency=idempotency_key(user, "cart"))
    key = idempotency_key(user, "cart")
    again = _create(user, LineRequest(product.pk, 7), idempotency=key)
    assert key.replayed and again.pk == first.pk
    assert (again.status, _held(again)) == ("pending", [("BSN-1", 2), ("SEL-1", 5)])
    assert Reservation.objects.count() == 1
    assert sum(Stock.objects.values_list("reserved", flat=True)) == 7
    assert len(ledger(type="reserve")) == 2


def test_a_refused_reserve_is_replayed_as_refused_after_stock_arrives(shop, user):
    # given a reserve refused for want of stock, with a key
    product, first, _ = shop
    with pytest.raises(InsufficientStock) as refused:
        _create(user, LineRequest(product.pk, 20), idempotency=idempotency_key(user, "cart"))
    # when stock arrives and the same request is retried with the key
    stock_of(product, first, 10)
    with pytest.raises(IdempotentReplay) as replay:
        _create(user, LineRequest(product.pk, 20), idempotency=idempotency_key(user, "cart"))
    # then the stored refusal answers; nothing is held
    assert (replay.value.code, replay.value.status_code) == ("insufficient_stock", 409)
    assert replay.value.details == refused.value.details
    assert _nothing_reserved()


def test_a_reserve_key_reused_for_another_body_is_a_mismatch(shop, user):
    product, _, _ = shop
    _create(user, LineRequest(product.pk, 1), idempotency=idempotency_key(user, "cart"))
    with pytest.raises(IdempotencyKeyMismatch):
        _create(
            user,
            LineRequest(product.pk, 2),
            order_id="o-2",
            idempotency=idempotency_key(user, "cart", fingerprint="another body"),
        )
    assert Reservation.objects.count() == 1
