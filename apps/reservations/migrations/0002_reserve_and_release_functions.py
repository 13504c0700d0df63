from django.db import migrations


class Migration(migrations.Migration):
    """Created the PL/pgSQL functions reservations_reserve and
    reservations_release. They live in apps/stock/holds/sql/ now, loaded by the
    stock app's migration 0003; a database migrated before has them already, and
    that migration replaces them."""

    dependencies = [("reservations", "0001_initial"), ("ledger", "0001_initial")]

    operations = []
