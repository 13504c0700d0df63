"""The stock services called directly (apps/stock/services.py): what each
returns, the counters and ledger rows it leaves, the refusals it raises and how
an Idempotency-Key replays it. The HTTP contract is test_api_stock's."""

import uuid

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
from apps.products.models import Product
from apps.products.selectors import product_get
from apps.products.tests.helpers import WarehouseFactory
from apps.reservations.tests.helpers import make_due, reserve
from apps.stock.errors import BelowReserved, ProductInUse
from apps.stock.models import Reservation, Stock
from apps.stock.services import product_delete, stock_adjust, stock_inbound, stock_levels_update
from apps.stock.tests.helpers import counters, hold, stock_of

pytestmark = pytest.mark.django_db


def _inbound(product, quantity, **extra):
    return stock_inbound(
        product_id=product.pk, warehouse_code="SEL-1", quantity=quantity, actor_id=None, **extra
    )


def _adjust(product, on_hand, **extra):
    return stock_adjust(
        product_id=product.pk,
        warehouse_code="SEL-1",
        on_hand=on_hand,
        actor_id=None,
        reason="count",
        **extra,
    )


# --- inbound -----------------------------------------------------------------


def test_a_first_inbound_creates_the_row_and_answers_it_with_its_movement(product, warehouse):
    # given
    actor = UserFactory(is_warehouse_admin=True)
    # when the code is given in another case, with spaces
    change = stock_inbound(
        product_id=product.pk,
        warehouse_code=" sel-1 ",
        quantity=7,
        actor_id=actor.pk,
        reason="PO",
        reference="PO-1",
    )
    # then the row and its movement, as stored
    stock = Stock.objects.get()
    assert (change.stock.pk, change.stock.product, change.stock.warehouse) == (
        stock.pk,
        product,
        warehouse,
    )
    assert (change.stock.on_hand, change.stock.reserved) == counters(stock) == (7, 0)
    assert (stock.min_stock_level, stock.reorder_point) == (0, 0)
    movement = StockMovement.objects.get()
    assert change.movement == movement
    assert (movement.actor_id, movement.reason, movement.reference) == (actor.pk, "PO", "PO-1")
    assert (movement.reservation_id, movement.warehouse_id) == (None, warehouse.pk)
    assert ledger(stock=stock) == [("inbound", 7, 0, 7, 0)]


def test_inbounds_add_up_on_one_row_and_each_movement_holds_the_running_total(product, warehouse):
    for quantity in (3, 4, 10):
        _inbound(product, quantity)
    stock = Stock.objects.get()
    assert counters(stock) == (17, 0)
    assert ledger(stock=stock) == [
        ("inbound", 3, 0, 3, 0),
        ("inbound", 4, 0, 7, 0),
        ("inbound", 10, 0, 17, 0),
    ]


def test_an_inbound_leaves_the_held_units_and_the_alert_levels_alone(product, warehouse):
    stock = hold(stock_of(product, warehouse, 5), 2)
    stock_levels_update(stock=stock, min_stock_level=1, reorder_point=3)
    change = _inbound(product, 4)
    assert (change.stock.on_hand, change.stock.reserved) == (9, 2)
    assert (change.stock.min_stock_level, change.stock.reorder_point) == (1, 3)
    assert ledger(stock=stock)[-1] == ("inbound", 4, 0, 9, 2)


@pytest.mark.parametrize("quantity", [0, -1, settings.MAX_STOCK_QUANTITY + 1])
def test_an_inbound_quantity_out_of_bounds_is_invalid_and_moves_nothing(
    product, warehouse, quantity
):
    with pytest.raises(ValidationFailed) as raised:
        _inbound(product, quantity)
    assert raised.value.code == "invalid"
    assert raised.value.details == {
        "quantity": [f"Must be between 1 and {settings.MAX_STOCK_QUANTITY}."]
    }
    assert not Stock.objects.exists() and not StockMovement.objects.exists()


def test_an_inbound_of_the_largest_quantity_is_taken(product, warehouse):
    assert _inbound(product, settings.MAX_STOCK_QUANTITY).stock.on_hand == (
        settings.MAX_STOCK_QUANTITY
    )


def test_an_inbound_for_an_unknown_product_or_warehouse_is_not_found(product, warehouse):
    ghost = uuid.uuid4()
    with pytest.raises(NotFound) as no_product:
        stock_inbound(product_id=ghost, warehouse_code="SEL-1", quantity=1, actor_id=None)
    with pytest.raises(NotFound) as no_warehouse:
        stock_inbound(product_id=product.pk, warehouse_code="NOPE-9", quantity=1, actor_id=None)
    assert no_product.value.details == {"product_id": str(ghost)}
    assert no_warehouse.value.details == {"warehouse": "NOPE-9"}
    assert not Stock.objects.exists()


def test_a_deleted_product_takes_no_inbound(product, warehouse):
    product_delete(product_id=product.pk)
    with pytest.raises(NotFound):
        _inbound(product, 1)
    assert not Stock.objects.exists()


def test_the_stock_services_take_keyword_arguments_only(product, warehouse):
    with pytest.raises(TypeError):
        stock_inbound(product.pk, "SEL-1", 1, None)
    with pytest.raises(TypeError):
        stock_adjust(product.pk, "SEL-1", 1, None, "count")
    with pytest.raises(TypeError):
        product_delete(product.pk)
    assert not StockMovement.objects.exists()


def test_an_inbound_replayed_with_its_key_answers_the_first_change_and_moves_nothing(
    product, warehouse
):
    # given an inbound of 5 with a key, then another of 3 without one
    admin = UserFactory(is_warehouse_admin=True)
    first = _inbound(product, 5, idempotency=idempotency_key(admin, "po-1"))
    _inbound(product, 3)
    # when the first is retried with its key
    key = idempotency_key(admin, "po-1")
    again = _inbound(product, 5, idempotency=key)
    # then it answers the first change as it was made, and the stock moved once
    assert key.replayed
    assert again.movement.pk == first.movement.pk
    assert (again.stock.pk, again.stock.on_hand, again.stock.reserved) == (first.stock.pk, 5, 0)
    assert again.movement.warehouse == warehouse
    assert counters(first.stock) == (8, 0)
    assert len(ledger(stock=first.stock)) == 2


def test_an_inbound_key_reused_for_another_body_is_a_mismatch(product, warehouse):
    admin = UserFactory(is_warehouse_admin=True)
    _inbound(product, 5, idempotency=idempotency_key(admin, "po-1", fingerprint="five"))
    with pytest.raises(IdempotencyKeyMismatch):
        _inbound(product, 6, idempotency=idempotency_key(admin, "po-1", fingerprint="six"))
    assert counters(Stock.objects.get()) == (5, 0)


# --- adjust ------------------------------------------------------------------


def test_an_adjust_sets_the_count_and_records_the_difference(product, warehouse):
    stock = stock_of(product, warehouse, 10)
    actor = UserFactory(is_warehouse_admin=True)
    change = stock_adjust(
        product_id=product.pk,
        warehouse_code="sel-1",
        on_hand=7,
        actor_id=actor.pk,
        reason="cycle count",
        reference="CC-9",
    )
    assert (change.stock.pk, change.stock.on_hand, change.stock.reserved) == (stock.pk, 7, 0)
    assert counters(stock) == (7, 0)
    assert change.movement == StockMovement.objects.get(type="adjust")
    assert (change.movement.actor_id, change.movement.reason, change.movement.reference) == (
        actor.pk,
        "cycle count",
        "CC-9",
    )
    assert ledger(stock=stock) == [("inbound", 10, 0, 10, 0), ("adjust", -3, 0, 7, 0)]


def test_a_count_that_matches_is_still_recorded(product, warehouse):
    stock = stock_of(product, warehouse, 10)
    _adjust(product, 10)
    assert ledger(stock=stock)[-1] == ("adjust", 0, 0, 10, 0)


def test_a_first_count_creates_the_row(product, warehouse):
    change = _adjust(product, 0)
    assert counters(change.stock) == (0, 0)
    assert ledger(stock=change.stock) == [("adjust", 0, 0, 0, 0)]


def test_a_count_down_to_the_units_held_is_taken_and_keeps_them_held(product, warehouse):
    stock = hold(stock_of(product, warehouse, 10), 6)
    change = _adjust(product, 6)
    assert (change.stock.on_hand, change.stock.reserved) == counters(stock) == (6, 6)
    assert ledger(stock=stock)[-1] == ("adjust", -4, 0, 6, 6)


def test_a_count_below_the_units_held_is_refused_and_changes_nothing(product, warehouse):
    stock = hold(stock_of(product, warehouse, 10), 6)
    with pytest.raises(BelowReserved) as raised:
        _adjust(product, 5)
    assert (raised.value.code, raised.value.status_code) == ("below_reserved", 409)
    assert raised.value.details == {"on_hand": 5, "reserved": 6, "stock_id": stock.pk}
    assert counters(stock) == (10, 6)
    assert not StockMovement.objects.filter(type="adjust").exists()


def test_a_count_ends_expired_holds_on_its_row_and_keeps_the_live_ones(
    product, warehouse, hold_store
):
    # given 10 units: 4 held past their expiry (not swept), 3 held live
    stock = stock_of(product, warehouse, 10)
    live = reserve(product, 3, warehouse=warehouse)
    stale = reserve(product, 4, warehouse=warehouse)
    make_due(stale)
    # when the shelf is counted at 5: below the 7 reserved, above the 3 live
    change = _adjust(product, 5)
    # then the expired hold ends (its units were held by nothing) and the count is taken
    assert (change.stock.on_hand, change.stock.reserved) == counters(stock) == (5, 3)
    assert Reservation.objects.get(pk=stale.pk).status == "expired"
    assert Reservation.objects.get(pk=live.pk).status == "pending"
    assert ledger(stock=stock)[-2:] == [("expire", 0, -4, 10, 3), ("adjust", -5, 0, 5, 3)]


@pytest.mark.parametrize("on_hand", [-1, settings.MAX_STOCK_QUANTITY + 1])
def test_a_count_out_of_bounds_is_invalid(product, warehouse, on_hand):
    with pytest.raises(ValidationFailed) as raised:
        _adjust(product, on_hand)
    assert raised.value.details == {
        "on_hand": [f"Must be between 0 and {settings.MAX_STOCK_QUANTITY}."]
    }
    assert not Stock.objects.exists()


def test_a_refused_count_is_replayed_as_refused_after_the_holds_are_gone(product, warehouse):
    # given a count refused under a hold of 6, with a key
    admin = UserFactory(is_warehouse_admin=True)
    stock = hold(stock_of(product, warehouse, 10), 6)
    with pytest.raises(BelowReserved):
        _adjust(product, 5, idempotency=idempotency_key(admin, "count-1"))
    # when the hold is cancelled and the count retried with the same key
    held = Reservation.objects.get()
    from apps.reservations.services import reservation_cancel

    reservation_cancel(reservation_id=held.pk, user=held.user)
    with pytest.raises(IdempotentReplay) as replay:
        _adjust(product, 5, idempotency=idempotency_key(admin, "count-1"))
    # then the stored refusal answers, and nothing was counted
    assert (replay.value.code, replay.value.status_code) == ("below_reserved", 409)
    assert replay.value.details == {"on_hand": 5, "reserved": 6, "stock_id": stock.pk}
    assert counters(stock) == (10, 0)


# --- delete a product ----------------------------------------------------------


def test_deleting_a_product_hides_it_and_keeps_its_stock_and_ledger(product, warehouse):
    stock = stock_of(product, warehouse, 5)
    product_delete(product_id=product.pk)
    hidden = Product.objects.get(pk=product.pk)
    assert hidden.deleted_at is not None and hidden.status == "discontinued"
    assert hidden.updated_at == hidden.deleted_at
    with pytest.raises(NotFound):
        product_get(product_id=product.pk)
    assert counters(stock) == (5, 0)
    assert ledger(stock=stock) == [("inbound", 5, 0, 5, 0)]


def test_a_product_with_units_held_cannot_be_deleted(product, warehouse):
    # given holds on two rows
    second = WarehouseFactory(code="BSN-1", priority=20)
    hold(stock_of(product, warehouse, 5), 2)
    hold(stock_of(product, second, 5), 3)
    # when / then: the refusal names everything held
    with pytest.raises(ProductInUse) as raised:
        product_delete(product_id=product.pk)
    assert (raised.value.code, raised.value.status_code) == ("product_in_use", 409)
    assert raised.value.details == {"reserved": 5}
    assert Product.objects.get(pk=product.pk).deleted_at is None


def test_a_refused_delete_leaves_an_expired_hold_for_the_sweeper(product, warehouse, hold_store):
    """The refusal rolls back the whole delete, the inline expiry with it: a
    refused request changes nothing."""
    # given one live hold and one past its expiry
    stock = stock_of(product, warehouse, 10)
    reserve(product, 1)
    stale = reserve(product, 2)
    make_due(stale)
    # when / then: refused for the live hold's unit only
    with pytest.raises(ProductInUse) as raised:
        product_delete(product_id=product.pk)
    assert raised.value.details == {"reserved": 1}
    assert Reservation.objects.get(pk=stale.pk).status == "pending"
    assert counters(stock) == (10, 3)


def test_deleting_an_unknown_or_deleted_product_is_not_found(product):
    with pytest.raises(NotFound):
        product_delete(product_id=uuid.uuid4())
    product_delete(product_id=product.pk)
    with pytest.raises(NotFound):
        product_delete(product_id=product.pk)


# --- alert levels --------------------------------------------------------------


def test_alert_levels_change_only_what_is_given_and_never_the_counts(product, warehouse):
    stock = stock_of(product, warehouse, 5)
    stock_levels_update(stock=stock, min_stock_level=2, reorder_point=4)
    updated = stock_levels_update(stock=Stock.objects.get(), reorder_point=1)
    row = Stock.objects.get()
    assert (updated.min_stock_level, updated.reorder_point) == (2, 1)
    assert (row.on_hand, row.reserved, row.min_stock_level, row.reorder_point) == (5, 0, 2, 1)
    assert len(ledger(stock=stock)) == 1


def test_alert_levels_with_nothing_to_change_write_nothing(product, warehouse):
    stock_of(product, warehouse, 5)
    before = Stock.objects.get().updated_at
    stock_levels_update(stock=Stock.objects.get())
    assert Stock.objects.get().updated_at == before
