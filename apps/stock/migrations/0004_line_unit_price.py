from django.db import migrations, models

from apps.core.migration_ops import LoadSQLFiles, PostgresOnlySQL


class Migration(migrations.Migration):
    """A hold keeps the unit price its shopper saw (an order charges it). Lines
    held before this have the product's price of the day of the migration, the
    best record there is. The hold functions take and return the price, so
    their old signatures are dropped before the files are loaded again."""

    dependencies = [("stock", "0003_hold_functions_from_files")]

    operations = [
        migrations.AddField(
            model_name="reservationline",
            name="unit_price",
            field=models.DecimalField(decimal_places=2, max_digits=12, null=True),
        ),
        migrations.RunSQL(
            "UPDATE reservations_line SET unit_price = (SELECT p.price FROM products_product p"
            " WHERE p.id = reservations_line.product_id)",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="reservationline",
            name="unit_price",
            field=models.DecimalField(decimal_places=2, max_digits=12),
        ),
        migrations.AddConstraint(
            model_name="reservationline",
            constraint=models.CheckConstraint(
                condition=models.Q(unit_price__gte=0), name="line_unit_price_non_negative"
            ),
        ),
        PostgresOnlySQL(
            "DROP FUNCTION IF EXISTS reservations_reserve(uuid, bigint, varchar, timestamptz,"
            " timestamptz, uuid[], bigint[], bigint[], boolean);"
            "DROP FUNCTION IF EXISTS reservations_release(uuid[], varchar, varchar, boolean,"
            " timestamptz, timestamptz);",
            reverse_sql=migrations.RunSQL.noop,
        ),
        LoadSQLFiles(
            {
                "apps/stock/holds/sql/reservations_reserve.sql": "cb9e126a420ffd07",
                "apps/stock/holds/sql/reservations_release.sql": "1aed338d25041258",
            }
        ),
    ]
