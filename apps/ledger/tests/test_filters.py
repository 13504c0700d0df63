"""MovementFilterSet on GET /stock/movements/: each parameter narrows the
ledger, and a bad one is the 400 envelope naming it, in DRF's words."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.ledger.models import StockMovement
from apps.products.tests.helpers import ProductFactory, WarehouseFactory
from apps.stock.tests.helpers import hold, stock_of

pytestmark = pytest.mark.django_db

MOVEMENTS = "/api/v1/stock/movements/"


@pytest.fixture
def ledger():
    """inbound chair@SEL-1, inbound table@OTHER-1, reserve table@OTHER-1."""
    chair, table = ProductFactory(), ProductFactory()
    stock_of(chair, WarehouseFactory(code="SEL-1"), 5)
    hold(stock_of(table, WarehouseFactory(code="OTHER-1"), 9), 2)
    return {"chair": chair, "table": table}


def _moves(client, query) -> list[tuple[str, int]]:
    """(type, on_hand_after) of each movement listed, newest first."""
    response = client.get(MOVEMENTS, query)
    assert response.status_code == 200, response.content
    return [(row["type"], row["on_hand_after"]) for row in response.json()["results"]]


def _refused(client, query) -> dict:
    response = client.get(MOVEMENTS, query)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] | {"details": None} == {
        "code": "invalid",
        "message": "Invalid input.",
        "details": None,
    }
    return body["error"]["details"]


def test_without_parameters_the_whole_ledger_is_listed(warehouse_client, ledger):
    assert _moves(warehouse_client, {}) == [("reserve", 9), ("inbound", 9), ("inbound", 5)]


def test_product_id_narrows_to_the_product(warehouse_client, ledger):
    query = {"product_id": str(ledger["chair"].pk)}
    assert _moves(warehouse_client, query) == [("inbound", 5)]


def test_warehouse_narrows_by_code_whatever_its_case(warehouse_client, ledger):
    assert _moves(warehouse_client, {"warehouse": "other-1"}) == [("reserve", 9), ("inbound", 9)]


def test_type_narrows_to_the_kind_of_movement(warehouse_client, ledger):
    assert _moves(warehouse_client, {"type": "reserve"}) == [("reserve", 9)]
    assert _moves(warehouse_client, {"type": "confirm"}) == []


def test_created_after_includes_and_created_before_excludes_the_instant(warehouse_client, ledger):
    first = StockMovement.objects.order_by("id").first()
    at = first.created_at.isoformat()
    assert ("inbound", 5) in _moves(warehouse_client, {"created_after": at})
    assert ("inbound", 5) not in _moves(warehouse_client, {"created_before": at})
    later = (timezone.now() + timedelta(minutes=1)).isoformat()
    assert _moves(warehouse_client, {"created_after": later}) == []
    assert len(_moves(warehouse_client, {"created_before": later})) == 3


def test_filters_combine(warehouse_client, ledger):
    query = {"product_id": str(ledger["table"].pk), "warehouse": "OTHER-1", "type": "inbound"}
    assert _moves(warehouse_client, query) == [("inbound", 9)]


DATETIME_FORMAT = (
    "Datetime has wrong format. Use one of these formats instead: "
    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
)


@pytest.mark.parametrize(
    ("query", "details"),
    [
        ({"product_id": "1"}, {"product_id": ["Must be a valid UUID."]}),
        (
            {"warehouse": "W" * 33},
            {"warehouse": ["Ensure this field has no more than 32 characters."]},
        ),
        ({"type": "stolen"}, {"type": ['"stolen" is not a valid choice.']}),
        ({"type": "50%"}, {"type": ['"50%" is not a valid choice.']}),
        ({"created_after": "yesterday"}, {"created_after": [DATETIME_FORMAT]}),
        ({"created_before": "2000-13-01"}, {"created_before": [DATETIME_FORMAT]}),
        (
            {"created_before": "x", "type": "x", "product_id": "x"},
            {
                "product_id": ["Must be a valid UUID."],
                "type": ['"x" is not a valid choice.'],
                "created_before": [DATETIME_FORMAT],
            },
        ),
    ],
)
def test_a_bad_value_is_a_400_naming_the_parameter(warehouse_client, query, details):
    assert _refused(warehouse_client, query) == details
