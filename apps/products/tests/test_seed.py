import pytest
from django.core.management import call_command

from apps.accounts.models import User
from apps.ledger.models import StockMovement
from apps.products.models import Product, Warehouse
from apps.stock.models import Stock


@pytest.mark.django_db(transaction=True)
def test_seed_catalog_loads_products_stock_and_matching_movements(capsys):
    # when
    call_command("seed_catalog", "--products", "300", "--warehouses", "3")
    call_command("seed_catalog", "--products", "100", "--warehouses", "3")
    # then
    assert Product.objects.count() == 400
    assert Product.objects.filter(sku="SEED-00000399").exists()
    assert Warehouse.objects.count() == 3
    stocked = Stock.objects.values("product_id").distinct().count()
    assert stocked == 400
    assert 400 <= Stock.objects.count() <= 1200
    assert StockMovement.objects.count() == Stock.objects.count()
    assert "Seeded 100 products" in capsys.readouterr().out
    # the secondary indexes and foreign keys were rebuilt
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_indexes WHERE indexname = 'product_search_vector_idx'"
        )
        assert cursor.fetchone()[0] == 1
        cursor.execute(
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f' "
            "AND conrelid = 'stock_movement'::regclass"
        )
        assert cursor.fetchone()[0] == 4
    # (the audit hook then checks the ledger sums)


# Transactional: the demo's paid order calls the payment gateway, never inside
# a transaction.
@pytest.mark.django_db(transaction=True)
def test_seed_demo_loads_users_catalog_and_stock_once(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")
    assert User.objects.count() == 3
    assert Warehouse.objects.count() == 3
    assert Product.objects.count() == 6
    mug = Stock.objects.get(product__sku="MUG-CER-03", warehouse__code="SEL-1")
    assert (mug.on_hand, mug.reserved) == (299, 4)  # one sold to the demo order, four held
    assert StockMovement.objects.filter(type="inbound").count() == Stock.objects.count()
