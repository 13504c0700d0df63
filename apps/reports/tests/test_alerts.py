"""Low-stock alerts: opened by the sweep at or below the reorder point, closed
clear above it, one open per stock row, mail to warehouse admins after the
commit (and again at the next sweep if it failed)."""

import threading

import pytest
from django.core import mail
from django.db import connection, connections
from django.test import override_settings

from apps.accounts.tests.helpers import UserFactory
from apps.products.tests.helpers import ProductFactory, WarehouseFactory
from apps.reservations.services import reservation_cancel
from apps.reservations.tests.helpers import reserve
from apps.stock.services import stock_inbound, stock_levels_update

from ..models import StockAlert
from ..services import stock_alerts_sweep

pytestmark = pytest.mark.django_db(transaction=True)

ALERTS = "/api/v1/stock/alerts/"


def _row(on_hand: int, reorder_point: int, warehouse=None, product=None):
    product = product or ProductFactory()
    warehouse = warehouse or WarehouseFactory()
    stock = stock_inbound(
        product_id=product.pk, warehouse_code=warehouse.code, quantity=on_hand, actor_id=None
    ).stock
    return stock_levels_update(stock=stock, reorder_point=reorder_point)


def _more(stock, quantity: int) -> None:
    stock_inbound(
        product_id=stock.product_id,
        warehouse_code=stock.warehouse.code,
        quantity=quantity,
        actor_id=None,
    )


def test_a_row_at_its_reorder_point_opens_one_alert_and_tells_the_warehouse_admins():
    admin = UserFactory(is_warehouse_admin=True, email="wh@example.com")
    UserFactory(email="shopper@example.com")
    low = _row(on_hand=12, reorder_point=10)
    fine = _row(on_hand=50, reorder_point=10)
    assert stock_alerts_sweep().opened == 0
    reserve(low.product, 2, user=UserFactory())  # available 10: at the point
    first = stock_alerts_sweep()
    assert (first.opened, first.closed, first.notified) == (1, 0, 1)
    alert = StockAlert.objects.get()
    assert (alert.stock_id, alert.available_at_open, alert.reorder_point) == (low.pk, 10, 10)
    assert [message.to for message in mail.outbox] == [[admin.email]]
    assert low.product.sku in mail.outbox[0].body
    # lower still, and swept again: still the one alert, told once
    reserve(low.product, 3, user=UserFactory())
    assert stock_alerts_sweep() == type(first)(0, 0, 0)
    assert StockAlert.objects.count() == 1 and len(mail.outbox) == 1
    assert not StockAlert.objects.filter(stock=fine).exists()


@override_settings(REPORTS_ALERT_CLOSE_MARGIN_PERCENT=10)
def test_an_alert_closes_clear_above_the_point_and_does_not_flap():
    stock = _row(on_hand=10, reorder_point=10)  # margin: 1 unit
    stock_alerts_sweep()
    user = UserFactory()
    held = reserve(stock.product, 1, user=user)  # 9
    stock_alerts_sweep()
    reservation_cancel(reservation_id=held.pk, user=user)  # back to 10
    _more(stock, 1)  # 11: above the point, not clear of it
    assert stock_alerts_sweep().closed == 0
    held = reserve(stock.product, 1, user=user)  # 10 again
    assert stock_alerts_sweep().opened == 0
    reservation_cancel(reservation_id=held.pk, user=user)
    _more(stock, 1)  # 12 > 10 + 1
    assert stock_alerts_sweep().closed == 1
    assert StockAlert.objects.get().closed_at is not None
    reserve(stock.product, 2, user=user)  # 10: low again, a new alert
    assert stock_alerts_sweep().opened == 1
    assert StockAlert.objects.count() == 2
    assert StockAlert.objects.filter(closed_at__isnull=True).count() == 1


def test_a_mail_that_fails_is_sent_at_the_next_sweep(monkeypatch):
    UserFactory(is_warehouse_admin=True, email="wh@example.com")
    _row(on_hand=1, reorder_point=5)

    def down(**kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr("apps.reports.services.alerts.send_mail", down)
    assert stock_alerts_sweep().opened == 1
    assert StockAlert.objects.get().notified_at is None  # the alert stands, untold
    monkeypatch.undo()
    assert stock_alerts_sweep().notified == 1
    assert len(mail.outbox) == 1 and StockAlert.objects.get().notified_at is not None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks")
def test_two_sweeps_at_once_open_each_alert_once():
    rows = [_row(on_hand=1, reorder_point=5) for _ in range(20)]
    barrier, results, errors = threading.Barrier(4), [], []

    def sweep():
        try:
            barrier.wait()
            results.append(stock_alerts_sweep())
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert sum(result.opened for result in results) == 20
    assert StockAlert.objects.filter(closed_at__isnull=True).count() == len(rows)


def test_the_alert_list(user_client, warehouse_client):
    north = WarehouseFactory(code="NORTH")
    low = _row(on_hand=1, reorder_point=5, warehouse=north)
    closed = _row(on_hand=1, reorder_point=5)
    stock_alerts_sweep()
    _more(closed, 100)
    stock_alerts_sweep()
    assert user_client.get(ALERTS).status_code == 403
    rows = warehouse_client.get(ALERTS).json()["results"]
    assert len(rows) == 2
    assert set(rows[0]) == {
        "id",
        "product_id",
        "warehouse",
        "reorder_point",
        "available_at_open",
        "opened_at",
        "closed_at",
    }
    still = warehouse_client.get(ALERTS, {"open": "true"}).json()["results"]
    assert [(r["product_id"], r["warehouse"], r["closed_at"]) for r in still] == [
        (str(low.product_id), "NORTH", None)
    ]
    assert len(warehouse_client.get(ALERTS, {"open": "false"}).json()["results"]) == 1
    assert len(warehouse_client.get(ALERTS, {"warehouse": "north"}).json()["results"]) == 1
    by_product = warehouse_client.get(ALERTS, {"product_id": str(closed.product_id)}).json()
    assert [r["closed_at"] is not None for r in by_product["results"]] == [True]
    bad = warehouse_client.get(ALERTS, {"open": "maybe"})
    assert bad.status_code == 400 and "open" in bad.json()["error"]["details"]
