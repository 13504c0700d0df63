"""The report endpoints: roles, filters, pages, CSV, today live, bad input."""

import csv
import io
from datetime import date, timedelta

import pytest
from rest_framework.test import APIClient

from apps.accounts.tests.helpers import UserFactory
from apps.points.services import points_earn
from apps.products.tests.helpers import ProductFactory, WarehouseFactory
from apps.stock.services import stock_inbound

from .. import days
from ..models import StockDailyReport
from ..services import reports_build_missing
from .helpers import clock, moment

pytestmark = pytest.mark.django_db(transaction=True)

STOCK = "/api/v1/reports/stock-daily/"
POINTS = "/api/v1/reports/points-daily/"
D = date(2026, 11, 10)


def _inbound(product, warehouse, quantity, at):
    with clock(at):
        stock_inbound(
            product_id=product.pk, warehouse_code=warehouse.code, quantity=quantity, actor_id=None
        )


@pytest.fixture
def shop():
    """Two warehouses; 3 products stocked on D, 2 of them again on D + 1;
    points for one user on D; both days built."""
    north, south = WarehouseFactory(code="NORTH"), WarehouseFactory(code="SOUTH")
    products = [ProductFactory() for _ in range(3)]
    for n, product in enumerate(products):
        _inbound(product, north, 10 + n, moment(D, "09:00"))
    _inbound(products[0], south, 5, moment(D, "10:00"))
    _inbound(products[0], north, 1, moment(D + timedelta(days=1), "09:00"))
    _inbound(products[1], north, 1, moment(D + timedelta(days=1), "09:00"))
    user = UserFactory()
    with clock(moment(D, "11:00")):
        points_earn(user_id=user.pk, amount=25, kind="free")
    reports_build_missing(now=moment(D + timedelta(days=2), "01:00"))
    return {"products": products, "north": north, "south": south, "user": user}


def test_who_may_read(shop, user_client, staff_client, warehouse_client):
    assert user_client.get(STOCK).status_code == 403
    assert user_client.get(POINTS).status_code == 403
    assert user_client.get(f"{STOCK}summary/?date={D}").status_code == 403
    assert staff_client.get(STOCK).status_code == 403  # warehouse admins' report
    assert warehouse_client.get(POINTS).status_code == 403  # staff's report
    assert warehouse_client.get(STOCK).status_code == 200
    assert staff_client.get(POINTS).status_code == 200
    assert APIClient().get(STOCK).status_code == 401


def test_a_day_of_stock_and_its_filters(shop, warehouse_client):
    body = warehouse_client.get(STOCK, {"date": D.isoformat()}).json()
    rows = body["results"]
    assert len(rows) == 4 and body["next"] is None
    first = rows[0]
    assert set(first) == {
        "date",
        "product_id",
        "warehouse",
        "opening_on_hand",
        "inbound",
        "adjusted",
        "reserved",
        "released",
        "expired",
        "confirmed",
        "returned",
        "closing_on_hand",
        "closing_reserved",
        "provisional",
    }
    assert all(row["provisional"] is False and row["date"] == D.isoformat() for row in rows)
    product = str(shop["products"][0].pk)
    mine = warehouse_client.get(STOCK, {"product_id": product}).json()["results"]
    assert [(r["date"], r["warehouse"], r["inbound"], r["closing_on_hand"]) for r in mine] == [
        (D.isoformat(), "NORTH", 10, 10),
        (D.isoformat(), "SOUTH", 5, 5),
        ((D + timedelta(days=1)).isoformat(), "NORTH", 1, 11),
    ]
    south = warehouse_client.get(STOCK, {"warehouse": "SOUTH"}).json()["results"]
    assert [(r["product_id"], r["inbound"]) for r in south] == [(product, 5)]
    ranged = warehouse_client.get(
        STOCK, {"date_from": (D + timedelta(days=1)).isoformat(), "date_to": "2026-12-01"}
    ).json()["results"]
    assert len(ranged) == 2


def test_pages_walk_every_row_in_order(shop, warehouse_client):
    seen, url, params = [], STOCK, {"page_size": 2}
    while url:
        body = warehouse_client.get(url, params).json()
        seen += [(r["date"], r["product_id"], r["warehouse"]) for r in body["results"]]
        url, params = body["next"], None
    assert len(seen) == 6 and len(set(seen)) == 6
    assert [row[0] for row in seen] == sorted(row[0] for row in seen)


def test_every_row_as_csv_with_a_header(shop, warehouse_client):
    response = warehouse_client.get(STOCK, {"format": "csv", "page_size": 1})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode()
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0][:3] == ["date", "product_id", "warehouse"]
    assert len(lines) == 1 + 6  # every page, not one
    by_accept = warehouse_client.get(STOCK, HTTP_ACCEPT="text/csv")
    assert b"".join(by_accept.streaming_content).decode() == text


def test_csv_quotes_what_needs_quoting(warehouse_client):
    warehouse = WarehouseFactory(code='A,"B"')
    _inbound(ProductFactory(), warehouse, 3, moment(D, "09:00"))
    reports_build_missing(now=moment(D + timedelta(days=1), "01:00"))
    response = warehouse_client.get(STOCK, {"format": "csv"})
    text = b"".join(response.streaming_content).decode()
    assert '"A,""B"""' in text
    assert list(csv.reader(io.StringIO(text)))[1][2] == 'A,"B"'


def test_points_by_user_and_the_summaries(shop, staff_client, warehouse_client):
    user = shop["user"]
    rows = staff_client.get(POINTS, {"user_id": user.pk}).json()["results"]
    assert [(r["date"], r["earned_free"], r["net"], r["closing_balance"]) for r in rows] == [
        (D.isoformat(), 25, 25, 25)
    ]
    summary = staff_client.get(f"{POINTS}summary/", {"date": D.isoformat()}).json()
    assert summary["earned"] == 25 and summary["users"] == 1
    assert summary["provisional"] is False
    stock = warehouse_client.get(f"{STOCK}summary/", {"date": D.isoformat()}).json()
    assert (stock["inbound"], stock["products"]) == (10 + 11 + 12 + 5, 3)
    assert stock["provisional"] is False


def test_today_is_live_and_never_stored(warehouse_client, staff_client):
    product, warehouse = ProductFactory(), WarehouseFactory(code="LIVE")
    _inbound(product, warehouse, 4, moment(D, "09:00"))
    reports_build_missing(now=moment(D + timedelta(days=1), "01:00"))
    stock_inbound(product_id=product.pk, warehouse_code="LIVE", quantity=3, actor_id=None)
    today = days.today()
    body = warehouse_client.get(STOCK, {"date": today.isoformat()}).json()
    assert [
        (r["opening_on_hand"], r["inbound"], r["closing_on_hand"], r["provisional"])
        for r in body["results"]
    ] == [(4, 3, 7, True)]
    summary = warehouse_client.get(f"{STOCK}summary/", {"date": today.isoformat()}).json()
    assert (summary["inbound"], summary["products"], summary["provisional"]) == (3, 1, True)
    csv_text = b"".join(
        warehouse_client.get(STOCK, {"date": today.isoformat(), "format": "csv"}).streaming_content
    ).decode()
    assert csv_text.splitlines()[1].endswith(",True")
    assert not StockDailyReport.objects.filter(date=today).exists()
    assert staff_client.get(POINTS, {"date": today.isoformat()}).json()["results"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date": "2026-13-01"}, "date"),
        ({"date": "yesterday"}, "date"),
        ({"date": "2999-01-01"}, "date"),
        ({"date_from": "2026-11-10", "date_to": "2026-11-01"}, "date_to"),
        ({"date": "2026-11-10", "date_from": "2026-11-01"}, "date"),
        ({"warehouse": "NOWHERE"}, "warehouse"),
        ({"product_id": "not-a-uuid"}, "product_id"),
        ({"cursor": "garbage"}, "cursor"),
        ({"page_size": "0"}, "page_size"),
    ],
)
def test_bad_query_is_a_400_naming_it(warehouse_client, params, field):
    response = warehouse_client.get(STOCK, params)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["details"]


def test_bad_query_of_csv_and_summaries_answers_json(warehouse_client, staff_client):
    response = warehouse_client.get(STOCK, {"format": "csv", "date": "nope"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "invalid"
    assert warehouse_client.get(f"{STOCK}summary/").json()["error"]["details"] == {
        "date": ["This field is required."]
    }
    huge = staff_client.get(POINTS, {"user_id": str(2**70)})
    assert huge.status_code == 400 and "user_id" in huge.json()["error"]["details"]
