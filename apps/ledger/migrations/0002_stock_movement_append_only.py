from django.db import migrations

from apps.core.migration_ops import LoadSQLFiles, PostgresOnlySQL

# The ledger is append-only: the last guard is the database refusing UPDATE and
# DELETE on it, by a trigger calling the function of the .sql file.
APPEND_ONLY = """
CREATE TRIGGER stock_movement_append_only
    BEFORE UPDATE OR DELETE ON stock_movement
    FOR EACH ROW EXECUTE FUNCTION stock_movement_append_only();
"""


class Migration(migrations.Migration):
    replaces = [("transactions", "0002_stock_movement_append_only")]
    dependencies = [("ledger", "0001_initial")]

    operations = [
        LoadSQLFiles({"apps/ledger/sql/stock_movement_append_only.sql": "da356a6a355cc277"}),
        PostgresOnlySQL(
            APPEND_ONLY,
            reverse_sql="DROP TRIGGER stock_movement_append_only ON stock_movement;"
            "DROP FUNCTION stock_movement_append_only();",
        ),
    ]
