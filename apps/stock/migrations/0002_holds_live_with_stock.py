import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import apps.core.ids


class Migration(migrations.Migration):
    """Holds live with the stock they hold: Reservation and ReservationLine move
    from the reservations app to this one. Their tables stay as they are (the
    models name them), so this only moves them in Django's state; the
    reservations app's migration 0004 removes them from its own."""

    dependencies = [
        ("stock", "0001_initial"),
        ("reservations", "0003_reserve_reads_what_it_locks"),
        ("products", "0002_product_search_vector"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Reservation',
                    fields=[
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('id', models.UUIDField(default=apps.core.ids.uuid7, editable=False, primary_key=True, serialize=False)),
                        ('order_id', models.CharField(help_text="The caller's reference.", max_length=100)),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('confirmed', 'Confirmed'), ('cancelled', 'Cancelled'), ('expired', 'Expired')], default='pending', max_length=16)),
                        ('expires_at', models.DateTimeField()),
                        ('confirmed_at', models.DateTimeField(blank=True, null=True)),
                        ('cancelled_at', models.DateTimeField(blank=True, null=True)),
                        ('expired_at', models.DateTimeField(blank=True, null=True)),
                        ('user', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'reservations_reservation',
                    },
                ),
                migrations.CreateModel(
                    name='ReservationLine',
                    fields=[
                        ('id', models.BigAutoField(primary_key=True, serialize=False)),
                        ('quantity', models.BigIntegerField()),
                        ('pending', models.BooleanField(default=True)),
                        ('expires_at', models.DateTimeField()),
                        ('product', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='products.product')),
                        ('reservation', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='lines', to='stock.reservation')),
                        ('stock', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='stock.stock')),
                        ('warehouse', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='products.warehouse')),
                    ],
                    options={
                        'db_table': 'reservations_line',
                    },
                ),
                migrations.AddIndex(
                    model_name='reservation',
                    index=models.Index(fields=['user', 'created_at', 'id'], name='reservation_user_idx'),
                ),
                migrations.AddIndex(
                    model_name='reservation',
                    index=models.Index(fields=['created_at', 'id'], name='reservation_created_idx'),
                ),
                migrations.AddIndex(
                    model_name='reservation',
                    index=models.Index(condition=models.Q(('status', 'pending')), fields=['expires_at'], name='reservation_due_idx'),
                ),
                migrations.AddConstraint(
                    model_name='reservation',
                    constraint=models.UniqueConstraint(fields=('user', 'order_id'), name='reservation_order_per_user'),
                ),
                migrations.AddConstraint(
                    model_name='reservation',
                    constraint=models.CheckConstraint(condition=models.Q(('status__in', ['pending', 'confirmed', 'cancelled', 'expired'])), name='reservation_status_valid'),
                ),
                migrations.AddIndex(
                    model_name='reservationline',
                    index=models.Index(condition=models.Q(('pending', True)), fields=['stock', 'expires_at'], name='line_pending_by_stock_idx'),
                ),
                migrations.AddConstraint(
                    model_name='reservationline',
                    constraint=models.CheckConstraint(condition=models.Q(('quantity__gt', 0)), name='line_quantity_positive'),
                ),
    
            ],
        ),
    ]
