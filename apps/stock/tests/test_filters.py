"""StockFilterSet on GET /stock/: each parameter narrows the rows, and a bad one
is the 400 envelope naming it, in DRF's words."""

import pytest

from apps.products.tests.helpers import ProductFactory, WarehouseFactory
from apps.stock.models import Stock
from apps.stock.tests.helpers import hold, stock_of

pytestmark = pytest.mark.django_db

STOCK = "/api/v1/stock/"


@pytest.fixture
def rows():
    """chair@SEL-1 (to reorder: 2 of 5 free, reorder point 3), table@SEL-1, table@OTHER-1."""
    chair, table = ProductFactory(), ProductFactory()
    near, far = WarehouseFactory(code="SEL-1"), WarehouseFactory(code="OTHER-1")
    low = stock_of(chair, near, 5)
    Stock.objects.filter(pk=low.pk).update(reorder_point=3)
    hold(low, 3)
    return {
        "chair@SEL-1": low.pk,
        "table@SEL-1": stock_of(table, near, 50).pk,
        "table@OTHER-1": stock_of(table, far, 1).pk,
        "chair": chair,
        "table": table,
    }


def _ids(client, query) -> set[int]:
    response = client.get(STOCK, query)
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def _refused(client, query) -> dict:
    response = client.get(STOCK, query)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] | {"details": None} == {
        "code": "invalid",
        "message": "Invalid input.",
        "details": None,
    }
    return body["error"]["details"]


def test_without_parameters_every_row_is_listed(warehouse_client, rows):
    assert _ids(warehouse_client, {}) == {
        rows["chair@SEL-1"],
        rows["table@SEL-1"],
        rows["table@OTHER-1"],
    }


def test_product_id_narrows_to_the_product(warehouse_client, rows):
    expected = {rows["table@SEL-1"], rows["table@OTHER-1"]}
    assert _ids(warehouse_client, {"product_id": str(rows["table"].pk)}) == expected
    assert _ids(warehouse_client, {"product_id": str(rows["table"].pk).upper()}) == expected


def test_warehouse_narrows_by_code_whatever_its_case_and_spaces(warehouse_client, rows):
    expected = {rows["chair@SEL-1"], rows["table@SEL-1"]}
    assert _ids(warehouse_client, {"warehouse": "SEL-1"}) == expected
    assert _ids(warehouse_client, {"warehouse": " sel-1 "}) == expected
    assert _ids(warehouse_client, {"warehouse": "NOPE"}) == set()


def test_low_stock_narrows_to_the_rows_to_reorder(warehouse_client, rows):
    assert _ids(warehouse_client, {"low_stock": "true"}) == {rows["chair@SEL-1"]}
    assert len(_ids(warehouse_client, {"low_stock": "false"})) == 3


def test_filters_combine(warehouse_client, rows):
    query = {"product_id": str(rows["table"].pk), "warehouse": "other-1", "low_stock": "0"}
    assert _ids(warehouse_client, query) == {rows["table@OTHER-1"]}


def test_an_empty_parameter_is_no_filter(warehouse_client, rows):
    assert len(_ids(warehouse_client, {"product_id": "", "warehouse": "", "low_stock": ""})) == 3


@pytest.mark.parametrize(
    ("query", "details"),
    [
        ({"product_id": "1"}, {"product_id": ["Must be a valid UUID."]}),
        ({"warehouse": " "}, {"warehouse": ["This field may not be blank."]}),
        (
            {"warehouse": "W" * 33},
            {"warehouse": ["Ensure this field has no more than 32 characters."]},
        ),
        ({"low_stock": "maybe"}, {"low_stock": ["Must be a valid boolean."]}),
        (
            {"low_stock": "null", "product_id": "x"},
            {"product_id": ["Must be a valid UUID."], "low_stock": ["Must be a valid boolean."]},
        ),
    ],
)
def test_a_bad_value_is_a_400_naming_the_parameter(warehouse_client, query, details):
    assert _refused(warehouse_client, query) == details


def test_a_bad_filter_is_reported_before_a_bad_page_size(warehouse_client):
    assert _refused(warehouse_client, {"low_stock": "x", "page_size": "0"}) == {
        "low_stock": ["Must be a valid boolean."]
    }
