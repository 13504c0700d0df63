"""Building the daily reports from the ledgers: a scripted day of every movement
and entry type, days without activity, catch-up after an outage, rebuilds,
two builders at once, and days of a time zone across daylight-saving changes."""

import threading
from datetime import date, timedelta

import pytest
from django.db import connection, transaction
from django.test import override_settings

from apps.accounts.tests.helpers import UserFactory
from apps.points.models import PointEntry
from apps.points.services import points_cancel, points_earn, points_expire_due, points_use
from apps.products.tests.helpers import ProductFactory, WarehouseFactory
from apps.reservations.services import (
    reservation_cancel,
    reservation_confirm,
    reservation_expire_due,
)
from apps.reservations.tests.helpers import reserve
from apps.stock.services import stock_adjust, stock_inbound, stock_return_reservation

from ..models import PointDailyReport, ReportCursor, ReportDay, StockDailyReport
from ..services import report_build, reports_build_missing
from .helpers import clock, moment

pytestmark = pytest.mark.django_db(transaction=True)

D = date(2026, 11, 10)
COUNTERS = (
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
)
POINT_COUNTERS = (
    "earned_free",
    "earned_paid",
    "earned",
    "used",
    "cancelled",
    "expired",
    "net",
    "closing_balance",
)


def _stock_rows(day=None) -> dict:
    rows = StockDailyReport.objects.order_by("date", "stock_id")
    if day is not None:
        rows = rows.filter(date=day)
    return {(r.date, r.stock_id): tuple(getattr(r, c) for c in COUNTERS) for r in rows}


def _point_rows() -> dict:
    rows = PointDailyReport.objects.order_by("date", "user_id")
    return {(r.date, r.user_id): tuple(getattr(r, c) for c in POINT_COUNTERS) for r in rows}


def _inbound(product, warehouse, quantity, at):
    with clock(at):
        return stock_inbound(
            product_id=product.pk, warehouse_code=warehouse.code, quantity=quantity, actor_id=None
        ).stock


def _after(day: date, clock_time: str = "01:00"):
    """A `now` on the day after `day`, once `day` is closed."""
    return moment(day + timedelta(days=1), clock_time)


def test_a_scripted_day_of_every_movement_type():
    product, warehouse = ProductFactory(), WarehouseFactory()
    user = UserFactory()
    stock = _inbound(product, warehouse, 100, moment(D, "09:00"))
    with clock(moment(D, "10:00")):
        stock_adjust(
            product_id=product.pk,
            warehouse_code=warehouse.code,
            on_hand=97,
            actor_id=None,
            reason="count",
        )
    with clock(moment(D, "11:00")):
        shipped = reserve(product, 5, user=user)
    with clock(moment(D, "11:05")):
        reservation_confirm(reservation_id=shipped.pk, user=user)
    with clock(moment(D, "12:00")):
        cancelled = reserve(product, 2, user=user)
    with clock(moment(D, "12:05")):
        reservation_cancel(reservation_id=cancelled.pk, user=user)
    with clock(moment(D, "13:00")):
        reserve(product, 4, user=user, ttl_seconds=60)
    with clock(moment(D, "13:30")):
        assert reservation_expire_due() == 1
    with clock(moment(D, "14:00")), transaction.atomic():
        shipped.refresh_from_db()
        stock_return_reservation(reservation=shipped, now=moment(D, "14:00"))
    with clock(moment(D, "15:00")):
        pending = reserve(product, 3, user=user, ttl_seconds=86400)
    # the next day: the last hold is cancelled; then a quiet day; then more stock
    with clock(moment(D + timedelta(days=1), "10:00")):
        reservation_cancel(reservation_id=pending.pk, user=user)
    _inbound(product, warehouse, 10, moment(D + timedelta(days=3), "08:00"))

    built = reports_build_missing(now=_after(D + timedelta(days=3)))

    assert [(b.kind, b.date) for b in built if b.kind == "stock"] == [
        ("stock", D + timedelta(days=n)) for n in range(4)
    ]
    assert _stock_rows() == {
        #                        open  in  adj res rel exp conf ret close held
        (D, stock.pk): (0, 100, -3, 14, 2, 4, 5, 5, 97, 3),
        (D + timedelta(days=1), stock.pk): (97, 0, 0, 0, 3, 0, 0, 0, 97, 0),
        # D + 2: nothing moved, no row
        (D + timedelta(days=3), stock.pk): (97, 10, 0, 0, 0, 0, 0, 0, 107, 0),
    }
    assert ReportDay.objects.filter(kind="stock").count() == 4
    assert ReportCursor.objects.get(kind="stock").date == D + timedelta(days=3)


def test_a_scripted_day_of_points_and_a_user_with_only_expiries():
    user, lapsed = UserFactory(), UserFactory()
    with clock(moment(D - timedelta(days=1), "12:00")):
        points_earn(user_id=lapsed.pk, amount=10, kind="free", expires_at=moment(D, "05:00"))
    with clock(moment(D, "09:00")):
        points_earn(user_id=user.pk, amount=50, kind="free", expires_at=moment(D, "20:00"))
        points_earn(user_id=user.pk, amount=30, kind="paid")
    with clock(moment(D, "10:00")):
        first_use = points_use(user_id=user.pk, amount=20)
    with clock(moment(D, "11:00")):
        points_use(user_id=user.pk, amount=40)  # 30 free, then 10 paid
    with clock(moment(D, "12:00")):
        points_cancel(entry_id=first_use.pk, user=user)  # 20 free back
    with clock(moment(D, "06:00")):
        assert points_expire_due() == 10  # the lapsed user's
    with clock(moment(D, "21:00")):
        assert points_expire_due() == 20

    reports_build_missing(now=_after(D))

    assert _point_rows() == {
        # earned free/paid/all, used, cancelled, expired, net, closing
        (D - timedelta(days=1), lapsed.pk): (10, 0, 10, 0, 0, 0, 10, 10),
        (D, lapsed.pk): (0, 0, 0, 0, 0, 10, -10, 0),
        (D, user.pk): (50, 30, 80, 60, 20, 20, 20, 20),
    }
    assert PointEntry.objects.filter(type="expire").count() == 2


def test_beat_down_for_three_days_then_every_missed_day_is_built_once():
    product, warehouse = ProductFactory(), WarehouseFactory()
    _inbound(product, warehouse, 1, moment(D, "12:00"))
    assert [b.date for b in reports_build_missing(now=_after(D))] == [D]  # no points yet
    for n in (1, 2, 3):
        _inbound(product, warehouse, n * 10, moment(D + timedelta(days=n), "12:00"))
    # beat comes back on the fourth day
    built = reports_build_missing(now=_after(D + timedelta(days=3)))
    assert [(b.kind, b.date) for b in built] == [
        ("stock", D + timedelta(days=1)),
        ("stock", D + timedelta(days=2)),
        ("stock", D + timedelta(days=3)),
    ]
    closing = [row[8] for row in _stock_rows().values()]
    assert closing == [1, 11, 31, 61]
    # nothing more to do, however often beat asks
    assert reports_build_missing(now=_after(D + timedelta(days=3), "05:00")) == []


def test_an_open_day_is_never_stored():
    product, warehouse = ProductFactory(), WarehouseFactory()
    _inbound(product, warehouse, 1, moment(D, "23:58"))
    # 00:02 on the next day: D has ended but is not closed yet (the close delay)
    assert reports_build_missing(now=moment(D + timedelta(days=1), "00:02")) == []
    assert not StockDailyReport.objects.exists()
    with pytest.raises(ValueError, match="not closed"):
        report_build(kind="stock", first=date.today(), last=date.today())


def test_a_day_rebuilt_gives_the_same_rows_and_a_backfill_may_overlap_built_days():
    product, warehouse = ProductFactory(), WarehouseFactory()
    other = ProductFactory()
    for n in range(4):
        _inbound(product, warehouse, n + 1, moment(D + timedelta(days=n), "09:00"))
    _inbound(other, warehouse, 7, moment(D + timedelta(days=2), "09:00"))
    reports_build_missing(now=_after(D + timedelta(days=1)))  # D and D + 1
    before = _stock_rows()
    again = report_build(kind="stock", first=D, last=D)
    assert [(b.date, b.rebuilt) for b in again] == [(D, True)]
    assert _stock_rows() == before
    # D + 1 .. D + 3 overlaps the built D + 1
    done = report_build(kind="stock", first=D + timedelta(days=1), last=D + timedelta(days=3))
    assert [(b.date, b.rebuilt) for b in done] == [
        (D + timedelta(days=1), True),
        (D + timedelta(days=2), False),
        (D + timedelta(days=3), False),
    ]
    rows = _stock_rows()
    assert {key: value for key, value in rows.items() if key in before} == before
    assert [value[8] for (day, _), value in rows.items()] == [1, 3, 6, 7, 10]
    assert ReportDay.objects.filter(kind="stock").count() == 4


def test_a_backfill_after_a_gap_builds_the_missing_days_first():
    product, warehouse = ProductFactory(), WarehouseFactory()
    for n in range(5):
        _inbound(product, warehouse, 1, moment(D + timedelta(days=n), "09:00"))
    reports_build_missing(now=_after(D))
    done = report_build(kind="stock", first=D + timedelta(days=3), last=D + timedelta(days=4))
    assert [b.date for b in done] == [D + timedelta(days=n) for n in (1, 2, 3, 4)]
    assert [value[8] for value in _stock_rows().values()] == [1, 2, 3, 4, 5]


def test_the_first_build_starts_from_the_whole_ledger():
    """History before the first day built still opens it."""
    product, warehouse = ProductFactory(), WarehouseFactory()
    _inbound(product, warehouse, 40, moment(D - timedelta(days=30), "09:00"))
    _inbound(product, warehouse, 2, moment(D, "09:00"))
    report_build(kind="stock", first=D, last=D)
    assert list(_stock_rows().values()) == [(40, 2, 0, 0, 0, 0, 0, 0, 42, 0)]
    _inbound(ProductFactory(), warehouse, 1, moment(D + timedelta(days=1), "09:00"))
    _inbound(product, warehouse, 1, moment(D + timedelta(days=2), "09:00"))
    report_build(kind="stock", first=D + timedelta(days=2), last=D + timedelta(days=2))
    assert _stock_rows(D + timedelta(days=2))[(D + timedelta(days=2), _stock_id(product))][0] == 42


def _stock_id(product) -> int:
    return StockDailyReport.objects.filter(product=product).values_list("stock_id", flat=True)[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks")
def test_two_builders_at_once_build_each_day_once():
    product, warehouse = ProductFactory(), WarehouseFactory()
    user = UserFactory()
    for n in range(6):
        _inbound(product, warehouse, n + 1, moment(D + timedelta(days=n), "09:00"))
        with clock(moment(D + timedelta(days=n), "10:00")):
            points_earn(user_id=user.pk, amount=n + 1, kind="paid")
    now = _after(D + timedelta(days=5))
    results, errors = [], []
    barrier = threading.Barrier(2)

    def build():
        from django.db import connections

        try:
            barrier.wait()
            results.append(reports_build_missing(now=now))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=build) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    days_built = sorted((b.kind, b.date) for result in results for b in result)
    kinds = ("stock", "points")
    expected = sorted((kind, D + timedelta(days=n)) for kind in kinds for n in range(6))
    assert days_built == expected  # each day once, by one builder or the other
    # the other builder may have found a kind taken and left it: beat's next run
    # finds nothing more either way
    assert reports_build_missing(now=now) == []
    assert [value[8] for value in _stock_rows().values()] == [1, 3, 6, 10, 15, 21]
    assert [value[7] for value in _point_rows().values()] == [1, 3, 6, 10, 15, 21]


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        ("America/New_York", date(2026, 11, 1), 25),  # clocks back at 02:00
        ("America/New_York", date(2026, 3, 8), 23),  # clocks forward at 02:00
        ("Asia/Seoul", date(2026, 11, 1), 24),
    ],
)
def test_days_of_the_shop_time_zone_across_daylight_saving(zone, day, hours):
    product, warehouse = ProductFactory(), WarehouseFactory()
    before, after = day - timedelta(days=1), day + timedelta(days=1)
    with override_settings(REPORTS_TIME_ZONE=zone):
        _inbound(product, warehouse, 1, moment(before, "23:59", zone))
        _inbound(product, warehouse, 10, moment(day, "00:01", zone))
        _inbound(product, warehouse, 100, moment(day, "23:59", zone))
        _inbound(product, warehouse, 1000, moment(after, "00:01", zone))
        report_build(kind="stock", first=before, last=after)
        window = ReportDay.objects.get(kind="stock", date=day)
        assert window.ends_at - window.starts_at == timedelta(hours=hours)
    inbound = {d: row[1] for (d, _), row in _stock_rows().items()}
    assert inbound == {before: 1, day: 110, after: 1000}


def test_company_wallets_are_left_to_the_settlement_not_the_daily_point_reports():
    # a company charged before the first built day, and a user's entries
    from apps.companies.services import company_create, company_points_charge

    user, staff = UserFactory(), UserFactory(is_staff=True)
    with clock(moment(D - timedelta(days=3), "12:00")):
        acme = company_create(name="Acme", registration_number="R-1")
        company_points_charge(
            company_id=acme.pk, amount=70, kind="free", description="grant", actor_id=staff.pk
        )
    with clock(moment(D, "09:00")):
        points_earn(user_id=user.pk, amount=5, kind="paid")
        company_points_charge(
            company_id=acme.pk, amount=9, kind="free", description="grant", actor_id=staff.pk
        )

    # built from a chosen day (the balance starts from the ledger before it),
    # then onwards
    report_build(kind="points", first=D, last=D)

    assert _point_rows() == {(D, user.pk): (0, 5, 5, 0, 0, 0, 5, 5)}
