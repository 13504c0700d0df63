import pytest
from django.core.management import call_command
from django.db import connection

from apps.products.tests.helpers import ProductFactory, WarehouseFactory
from apps.stock.models import Stock
from apps.stock.tests.helpers import stock_of

pytestmark = pytest.mark.django_db


def test_audit_passes_on_consistent_data(capsys):
    stock_of(ProductFactory(), WarehouseFactory(), 5)
    call_command("audit")
    out = capsys.readouterr().out
    assert "audit passed" in out
    assert "stock: counters equal the sums of their movements: ok" in out


@pytest.mark.no_audit
def test_audit_reports_a_counter_that_drifted_from_its_ledger_and_exits_1(capsys):
    # given a stock row changed behind the ledger's back
    stock = stock_of(ProductFactory(), WarehouseFactory(), 5)
    Stock.objects.filter(pk=stock.pk).update(on_hand=7)
    # when
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit")
    # then
    assert exit_info.value.code == 1
    out = capsys.readouterr().out
    assert f"stock {stock.pk}: on_hand=7 but movements sum to 5" in out


@pytest.mark.no_audit
def test_audit_reports_reserved_above_on_hand(capsys):
    # given a row whose constraint is switched off (the schema is the last guard; the
    # audit must still see through a database where it was removed)
    stock = stock_of(ProductFactory(), WarehouseFactory(), 2)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE stock_stock DROP CONSTRAINT stock_reserved_within_on_hand")
        cursor.execute("UPDATE stock_stock SET reserved = 3 WHERE id = %s", [stock.pk])
    # when
    with pytest.raises(SystemExit):
        call_command("audit")
    # then
    assert f"stock {stock.pk}: on_hand=2 reserved=3" in capsys.readouterr().out
