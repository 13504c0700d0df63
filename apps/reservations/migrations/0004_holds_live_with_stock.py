from django.db import migrations


class Migration(migrations.Migration):
    """Reservation and ReservationLine now belong to the stock app (its migration
    0002): removed from this app's state only; their tables stay."""

    dependencies = [
        ("reservations", "0003_reserve_reads_what_it_locks"),
        ("stock", "0002_holds_live_with_stock"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="ReservationLine"),
                migrations.DeleteModel(name="Reservation"),
            ],
        ),
    ]
