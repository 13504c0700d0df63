from django.db import migrations

from apps.core.migration_ops import LoadSQLFiles, PostgresOnlySQL

# The ledger and the record of which lots each use or expiry drew on are
# append-only: the last guard is the database refusing UPDATE and DELETE on
# them. (TRUNCATE, used by test teardown, is not a row operation.) A lot's
# `remaining`, the one number that changes, lives in points_lot.
APPEND_ONLY = """
CREATE TRIGGER points_entry_append_only
    BEFORE UPDATE OR DELETE ON points_entry
    FOR EACH ROW EXECUTE FUNCTION points_append_only();
CREATE TRIGGER points_allocation_append_only
    BEFORE UPDATE OR DELETE ON points_allocation
    FOR EACH ROW EXECUTE FUNCTION points_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("points", "0001_initial")]

    operations = [
        LoadSQLFiles({"apps/points/sql/points_append_only.sql": "5671dd1d370dcb18"}),
        PostgresOnlySQL(
            APPEND_ONLY,
            reverse_sql="DROP TRIGGER points_allocation_append_only ON points_allocation;"
            "DROP TRIGGER points_entry_append_only ON points_entry;"
            "DROP FUNCTION points_append_only();",
        ),
    ]
