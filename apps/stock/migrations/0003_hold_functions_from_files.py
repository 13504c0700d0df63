from django.db import migrations

from apps.core.migration_ops import LoadSQLFiles


class Migration(migrations.Migration):
    """The PL/pgSQL of holds, from their .sql files (they were inline in the
    reservations app's migrations 0002 and 0003)."""

    dependencies = [
        ("stock", "0002_holds_live_with_stock"),
        ("products", "0004_products_on_sale_function"),
        ("ledger", "0002_stock_movement_append_only"),
    ]

    operations = [
        LoadSQLFiles(
            {
                "apps/stock/holds/sql/reservations_hold_expired.sql": "38e3f815df20d3cd",
                "apps/stock/holds/sql/reservations_reserve.sql": "139def445dcdcd51",
                "apps/stock/holds/sql/reservations_release.sql": "3914cc40e1999873",
            }
        )
    ]
