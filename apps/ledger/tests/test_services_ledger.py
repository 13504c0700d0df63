"""The ledger's services called directly (apps/ledger/services.py): a movement
carries its row's counters after the change, and the database refuses one that
could not be. Each test that writes changes the row with its movement, as the
stock services do, so the audit after it still finds the ledger exact."""

import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.tests.helpers import UserFactory
from apps.ledger.models import MovementType, StockMovement
from apps.ledger.services import movement_build, movement_record, movements_record_bulk
from apps.ledger.tests.helpers import ledger
from apps.products.tests.helpers import ProductFactory, WarehouseFactory
from apps.stock.models import Stock
from apps.stock.tests.helpers import stock_of

pytestmark = pytest.mark.django_db


def _counted(stock: Stock, *, on_hand: int, reserved: int | None = None) -> Stock:
    """The row with new counters, stored: the change a movement then records."""
    stock.on_hand = on_hand
    stock.reserved = stock.reserved if reserved is None else reserved
    Stock.objects.filter(pk=stock.pk).update(on_hand=stock.on_hand, reserved=stock.reserved)
    return stock


def test_a_movement_is_built_from_the_row_after_the_change_and_not_saved():
    # given anything with a row's key, product, warehouse and counters
    product_id = uuid.uuid4()
    row = SimpleNamespace(pk=7, product_id=product_id, warehouse_id=3, on_hand=9, reserved=2)
    reservation_id = uuid.uuid4()
    at = timezone.now() - timedelta(minutes=5)
    # when
    movement = movement_build(
        stock=row,
        type=MovementType.RESERVE,
        reserved_delta=2,
        actor_id=11,
        reason="why",
        reference="ref",
        reservation_id=reservation_id,
        now=at,
    )
    # then
    assert movement.pk is None and movement._state.adding
    assert (movement.stock_id, movement.product_id, movement.warehouse_id) == (7, product_id, 3)
    assert (movement.type, movement.on_hand_delta, movement.reserved_delta) == ("reserve", 0, 2)
    assert (movement.on_hand_after, movement.reserved_after) == (9, 2)
    assert (movement.actor_id, movement.reason, movement.reference) == (11, "why", "ref")
    assert (movement.reservation_id, movement.created_at) == (reservation_id, at)
    assert not StockMovement.objects.exists()


def test_a_movement_built_without_a_time_is_stamped_now():
    row = SimpleNamespace(pk=1, product_id=uuid.uuid4(), warehouse_id=1, on_hand=0, reserved=0)
    before = timezone.now()
    movement = movement_build(stock=row, type=MovementType.ADJUST)
    assert before <= movement.created_at <= timezone.now()
    assert (movement.on_hand_delta, movement.reserved_delta, movement.actor_id) == (0, 0, None)
    assert (movement.reason, movement.reference, movement.reservation_id) == ("", "", None)


def test_a_movement_reuses_the_warehouse_its_row_has_loaded(django_assert_num_queries):
    stock = stock_of(ProductFactory(), WarehouseFactory(code="SEL-1"), 5)
    loaded = Stock.objects.select_related("warehouse").get(pk=stock.pk)
    with django_assert_num_queries(0):
        movement = movement_build(stock=loaded, type=MovementType.ADJUST)
        assert movement.warehouse is loaded.warehouse


def test_recording_a_movement_stores_it_as_built():
    # given a row counted from 5 up to 8 by someone
    actor = UserFactory(is_warehouse_admin=True)
    stock = _counted(stock_of(ProductFactory(), WarehouseFactory(), 5), on_hand=8)
    # when its movement is recorded
    movement = movement_record(
        stock=stock, type=MovementType.ADJUST, on_hand_delta=3, actor_id=actor.pk, reason="count"
    )
    # then
    stored = StockMovement.objects.get(pk=movement.pk)
    assert (stored.type, stored.actor_id, stored.reason) == ("adjust", actor.pk, "count")
    assert ledger(stock=stock) == [("inbound", 5, 0, 5, 0), ("adjust", 3, 0, 8, 0)]


def test_movements_are_recorded_in_bulk_with_their_keys():
    warehouse = WarehouseFactory()
    rows = [stock_of(ProductFactory(), warehouse, 5) for _ in range(3)]
    movements = movements_record_bulk(
        movements=(
            movement_build(stock=_counted(row, on_hand=5 + n), type="inbound", on_hand_delta=n)
            for n, row in enumerate(rows, start=1)
        )
    )
    assert len(movements) == 3 and all(m.pk for m in movements)
    assert [ledger(stock=row)[-1] for row in rows] == [
        ("inbound", 1, 0, 6, 0),
        ("inbound", 2, 0, 7, 0),
        ("inbound", 3, 0, 8, 0),
    ]


def test_recording_nothing_in_bulk_writes_nothing():
    assert movements_record_bulk(movements=[]) == []
    assert not StockMovement.objects.exists()


@pytest.mark.parametrize(
    ("on_hand", "reserved"),
    [(5, 6), (5, -1)],
    ids=["reserved above on_hand", "negative reserved"],
)
def test_the_database_refuses_a_movement_whose_after_values_no_row_can_have(on_hand, reserved):
    stock = stock_of(ProductFactory(), WarehouseFactory(), 5)
    impossible = SimpleNamespace(
        pk=stock.pk,
        product_id=stock.product_id,
        warehouse_id=stock.warehouse_id,
        on_hand=on_hand,
        reserved=reserved,
    )
    with pytest.raises(IntegrityError, match="movement_after_values_valid"), transaction.atomic():
        movement_record(stock=impossible, type=MovementType.RESERVE, reserved_delta=reserved)
    assert ledger(stock=stock) == [("inbound", 5, 0, 5, 0)]


def test_the_database_refuses_a_movement_of_no_known_type():
    stock = stock_of(ProductFactory(), WarehouseFactory(), 5)
    with pytest.raises(IntegrityError, match="movement_type_valid"), transaction.atomic():
        movement_record(stock=stock, type="teleport")
    assert ledger(stock=stock) == [("inbound", 5, 0, 5, 0)]
