from django.db import migrations


class Migration(migrations.Migration):
    """Replaced reservations_reserve; its text lives in
    apps/stock/holds/sql/reservations_reserve.sql now (see migration 0002)."""

    dependencies = [("reservations", "0002_reserve_and_release_functions")]

    operations = []
