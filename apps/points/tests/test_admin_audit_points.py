"""The read-only admin pages of the points app, the audit of invariant 4, and
the balance read with Redis down."""

import pytest
from django.core.management import call_command
from django.db import connection

from apps.core.tests.helpers import admin_session
from apps.points.models import PointEntry, PointKind
from apps.points.selectors import points_balance_get
from apps.points.services import points_use
from apps.points.tests.helpers import balances, earn

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("roles", "url", "status"),
    [
        ({"is_staff": True}, "/admin/points/pointwallet/", 200),
        ({"is_staff": True}, "/admin/points/pointentry/", 200),
        ({"is_staff": True}, "/admin/points/pointlot/", 200),
        ({"is_staff": True}, "/admin/points/pointentry/add/", 403),
        ({"is_warehouse_admin": True}, "/admin/points/pointentry/", 403),
    ],
)
def test_points_admin_pages_are_for_staff_and_read_only(user, roles, url, status):
    earn(user, 10, PointKind.FREE)
    assert admin_session(**roles).get(url).status_code == status


def test_the_points_ledger_cannot_be_changed_or_deleted_in_the_admin(user):
    entry = earn(user, 10, PointKind.FREE)
    client = admin_session(is_superuser=True, is_staff=True)
    assert client.get(f"/admin/points/pointentry/{entry.pk}/change/").status_code == 200
    change = client.post(f"/admin/points/pointentry/{entry.pk}/change/", {"amount": 999})
    delete = client.post(f"/admin/points/pointentry/{entry.pk}/delete/", {"post": "yes"})
    assert change.status_code == delete.status_code == 403
    assert PointEntry.objects.get(pk=entry.pk).amount == 10


def test_audit_passes_on_a_busy_wallet(user, capsys):
    earn(user, 50, PointKind.FREE)
    earn(user, 50, PointKind.PAID)
    use = points_use(user_id=user.pk, amount=70, description="x")
    from apps.points.services import points_cancel

    points_cancel(entry_id=use.pk, user=user)
    call_command("audit")
    out = capsys.readouterr().out
    assert "points: balances equal the sums of their ledger deltas: ok" in out
    assert "audit passed" in out


@pytest.mark.no_audit
def test_audit_reports_a_wallet_that_drifted_from_its_ledger(user, capsys):
    # given a wallet changed behind the ledger's back
    earn(user, 10, PointKind.FREE)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE points_wallet SET paid_balance = 3 WHERE user_id = %s", [user.pk])
    # when
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit")
    # then
    assert exit_info.value.code == 1
    out = capsys.readouterr().out
    assert f"wallet of user {user.pk}: free=10 paid=3 but the ledger sums to free=10 paid=0" in out
    assert f"wallet of user {user.pk}: free=10 paid=3 but its lots hold free=10 paid=0" in out


@pytest.mark.no_audit
def test_audit_reports_a_negative_balance_even_without_the_constraint(user, capsys):
    earn(user, 1, PointKind.FREE)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE points_wallet DROP CONSTRAINT wallet_free_not_negative")
        cursor.execute("UPDATE points_wallet SET free_balance = -5 WHERE user_id = %s", [user.pk])
    with pytest.raises(SystemExit):
        call_command("audit")
    assert f"wallet of user {user.pk}: free=-5 paid=0" in capsys.readouterr().out


@pytest.mark.no_audit
def test_audit_reports_a_lot_that_disagrees_with_its_allocations(user, capsys):
    entry = earn(user, 10, PointKind.FREE)
    points_use(user_id=user.pk, amount=4, description="x")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE points_lot SET remaining = 10 WHERE entry_id = %s", [entry.pk])
    with pytest.raises(SystemExit):
        call_command("audit")
    assert "remaining=10, allocations say 6" in capsys.readouterr().out


def test_with_redis_down_balances_are_read_from_the_database_and_writes_work(user, settings):
    # given a cache that points at a port where nothing listens
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    earn(user, 20, PointKind.FREE)
    # when / then
    assert points_balance_get(user_id=user.pk).total == 20
    points_use(user_id=user.pk, amount=5, description="x")
    assert points_balance_get(user_id=user.pk).total == 15
    assert balances(user) == (15, 0)
