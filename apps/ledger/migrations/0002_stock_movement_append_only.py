from django.db import migrations

from apps.core.migration_ops import PostgresOnlySQL

# The ledger is append-only: the last guard is the database refusing UPDATE and
# DELETE on it. (TRUNCATE, used by test teardown, is not a row operation.)
APPEND_ONLY = """
CREATE FUNCTION stock_movement_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'stock_movement is append-only: % refused', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
CREATE TRIGGER stock_movement_append_only
    BEFORE UPDATE OR DELETE ON stock_movement
    FOR EACH ROW EXECUTE FUNCTION stock_movement_append_only();
"""


class Migration(migrations.Migration):
    replaces = [("transactions", "0002_stock_movement_append_only")]
    dependencies = [("ledger", "0001_initial")]

    operations = [
        PostgresOnlySQL(
            APPEND_ONLY,
            reverse_sql="DROP TRIGGER stock_movement_append_only ON stock_movement;"
            "DROP FUNCTION stock_movement_append_only();",
        ),
    ]
