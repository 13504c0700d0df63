"""Cycle counts over HTTP: POST /api/v1/stock/adjust/."""

import pytest

from apps.core.tests.helpers import assert_envelope
from apps.stock.models import Stock
from apps.stock.tests.helpers import ADJUST, hold, stock_of

pytestmark = pytest.mark.django_db


# --- adjust ------------------------------------------------------------------


def test_adjust_sets_the_counted_quantity_and_records_the_difference(
    warehouse_client, product, warehouse
):
    stock_of(product, warehouse, 10)
    response = warehouse_client.post(
        ADJUST,
        {
            "product_id": str(product.pk),
            "warehouse": "SEL-1",
            "on_hand": 7,
            "reason": "cycle count",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["stock"]["on_hand"] == 7
    assert (body["movement"]["type"], body["movement"]["on_hand_delta"]) == ("adjust", -3)
    assert body["movement"]["reason"] == "cycle count"


def test_adjust_creates_a_row_that_did_not_exist(warehouse_client, product, warehouse):
    response = warehouse_client.post(
        ADJUST,
        {"product_id": str(product.pk), "warehouse": "SEL-1", "on_hand": 4, "reason": "found"},
        format="json",
    )
    assert response.status_code == 201
    assert Stock.objects.get().on_hand == 4


def test_adjust_below_reserved_is_409_and_changes_nothing(warehouse_client, product, warehouse):
    hold(stock_of(product, warehouse, 10), 6)
    response = warehouse_client.post(
        ADJUST,
        {"product_id": str(product.pk), "warehouse": "SEL-1", "on_hand": 5, "reason": "count"},
        format="json",
    )
    error = assert_envelope(response, 409, "below_reserved")
    assert error["details"]["reserved"] == 6
    assert Stock.objects.get().on_hand == 10


@pytest.mark.parametrize("on_hand", [-1, 10**12, "ten", None])
def test_adjust_rejects_bad_counts(warehouse_client, product, warehouse, on_hand):
    response = warehouse_client.post(
        ADJUST,
        {
            "product_id": str(product.pk),
            "warehouse": "SEL-1",
            "on_hand": on_hand,
            "reason": "count",
        },
        format="json",
    )
    assert "on_hand" in assert_envelope(response, 400, "invalid")["details"]


def test_adjust_needs_a_reason(warehouse_client, product, warehouse):
    response = warehouse_client.post(
        ADJUST,
        {"product_id": str(product.pk), "warehouse": "SEL-1", "on_hand": 1},
        format="json",
    )
    assert "reason" in assert_envelope(response, 400, "invalid")["details"]
