from django.db import migrations

from apps.core.migration_ops import LoadSQLFiles, PostgresOnlySQL

TRIGGER = """
CREATE TRIGGER payments_attempt_append_only
    BEFORE UPDATE OR DELETE ON payments_attempt
    FOR EACH ROW EXECUTE FUNCTION payments_attempt_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [
        LoadSQLFiles({"apps/payments/sql/payments_attempt_append_only.sql": "d5ec9769138a3d1e"}),
        PostgresOnlySQL(
            TRIGGER,
            reverse_sql="DROP TRIGGER payments_attempt_append_only ON payments_attempt;"
            "DROP FUNCTION payments_attempt_append_only();",
        ),
    ]
