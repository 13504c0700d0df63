"""Stock rows and the ledger over HTTP: GET /api/v1/stock/ (alert levels with
PATCH) and GET /api/v1/stock/movements/; the ledger is append-only."""

import pytest
from django.db import DatabaseError, transaction

from apps.core.tests.helpers import assert_envelope
from apps.ledger.models import StockMovement
from apps.products.tests.helpers import ProductFactory, WarehouseFactory
from apps.stock.models import Stock
from apps.stock.tests.helpers import MOVEMENTS, STOCK, hold, stock_of

pytestmark = pytest.mark.django_db


# --- stock list, levels ------------------------------------------------------


def test_stock_list_filters_low_stock_and_warehouse(
    warehouse_client, warehouse, django_assert_num_queries
):
    # given one row at its reorder point and one well above it
    low, plenty = ProductFactory(), ProductFactory()
    low_stock = stock_of(low, warehouse, 5)
    Stock.objects.filter(pk=low_stock.pk).update(reorder_point=5)
    stock_of(plenty, warehouse, 50)
    stock_of(plenty, WarehouseFactory(code="OTHER-1"), 1)
    # when: one query for the page (the JWT is trusted without a user query)
    with django_assert_num_queries(1):
        rows = warehouse_client.get(STOCK, {"low_stock": "true", "warehouse": "sel-1"}).json()
    # then
    assert [r["product_id"] for r in rows["results"]] == [str(low.pk)]
    assert rows["results"][0]["low_stock"] is True
    assert len(warehouse_client.get(STOCK, {"warehouse": "SEL-1"}).json()["results"]) == 2
    assert len(warehouse_client.get(STOCK, {"product_id": str(plenty.pk)}).json()["results"]) == 2


@pytest.mark.parametrize("query", [{"product_id": "x"}, {"low_stock": "maybe"}])
def test_stock_list_rejects_bad_filters(warehouse_client, query):
    assert_envelope(warehouse_client.get(STOCK, query), 400, "invalid")


def test_stock_list_is_for_warehouse_admins(user_client, staff_client):
    assert_envelope(user_client.get(STOCK), 403, "permission_denied")
    assert_envelope(staff_client.get(STOCK), 403, "permission_denied")


def test_patch_sets_alert_levels_and_never_counts(warehouse_client, product, warehouse):
    stock = stock_of(product, warehouse, 9)
    response = warehouse_client.patch(
        f"{STOCK}{stock.pk}/", {"reorder_point": 10, "on_hand": 999}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["reorder_point"], response.json()["on_hand"]) == (10, 9)
    assert response.json()["low_stock"] is True


@pytest.mark.parametrize(
    "body", [{"reorder_point": -1}, {"min_stock_level": "x"}, {"reorder_point": 2**40}]
)
def test_patch_rejects_bad_levels(warehouse_client, product, warehouse, body):
    stock = stock_of(product, warehouse, 1)
    assert_envelope(
        warehouse_client.patch(f"{STOCK}{stock.pk}/", body, format="json"), 400, "invalid"
    )


def test_patch_unknown_or_huge_stock_id_is_404(warehouse_client):
    assert_envelope(warehouse_client.patch(f"{STOCK}987654/", {}, format="json"), 404, "not_found")
    response = warehouse_client.get(f"{STOCK}{10**30}/")
    assert response.status_code == 404


# --- the ledger --------------------------------------------------------------


def test_movements_are_listed_newest_first_with_filters(warehouse_client, warehouse):
    a, b = ProductFactory(), ProductFactory()
    stock_of(a, warehouse, 1)
    stock_of(b, warehouse, 2)
    hold(Stock.objects.get(product=b), 1)
    rows = warehouse_client.get(MOVEMENTS).json()["results"]
    assert [r["type"] for r in rows] == ["reserve", "inbound", "inbound"]
    only_b = warehouse_client.get(MOVEMENTS, {"product_id": str(b.pk), "type": "inbound"})
    assert [r["on_hand_delta"] for r in only_b.json()["results"]] == [2]
    later = warehouse_client.get(MOVEMENTS, {"created_after": "2999-01-01T00:00:00Z"})
    assert later.json()["results"] == []


@pytest.mark.parametrize(
    "query", [{"type": "stolen"}, {"created_after": "yesterday"}, {"product_id": "1"}]
)
def test_movements_reject_bad_filters(warehouse_client, query):
    assert_envelope(warehouse_client.get(MOVEMENTS, query), 400, "invalid")


def test_the_ledger_refuses_update_and_delete_in_the_database(product, warehouse):
    stock_of(product, warehouse, 1)
    movement = StockMovement.objects.get()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        StockMovement.objects.filter(pk=movement.pk).update(on_hand_delta=100)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        StockMovement.objects.filter(pk=movement.pk).delete()
    assert StockMovement.objects.get().on_hand_delta == 1


def test_stock_and_ledger_render_exactly_what_their_declared_fields_render(
    product, warehouse_admin
):
    from rest_framework import serializers
    from rest_framework.renderers import JSONRenderer

    from apps.stock.serializers import StockMovementOutputSerializer, StockOutputSerializer
    from apps.stock.services import stock_adjust

    # given a row with a hold, and movements with and without an actor and a reservation
    stock = hold(stock_of(product, WarehouseFactory(), 8), 3)
    Stock.objects.filter(pk=stock.pk).update(reorder_point=9)
    stock = Stock.objects.select_related("warehouse").get(pk=stock.pk)
    stock_adjust(
        product_id=product.pk,
        warehouse_code=stock.warehouse.code,
        on_hand=7,
        actor_id=warehouse_admin.pk,
        reason="count",
    )
    movements = list(StockMovement.objects.select_related("warehouse").order_by("id"))
    assert {m.reservation_id is None for m in movements} == {True, False}
    assert {m.actor_id is None for m in movements} == {True, False}
    # when rendered by the lean methods and by DRF's fields, then the bytes agree
    render = JSONRenderer().render
    for serializer_class, instances in (
        (StockOutputSerializer, [stock]),
        (StockMovementOutputSerializer, movements),
    ):
        serializer = serializer_class()
        for instance in instances:
            generic = serializers.ModelSerializer.to_representation(serializer, instance)
            assert render(serializer.to_representation(instance)) == render(generic)
    assert StockOutputSerializer(stock).data["low_stock"] is True
