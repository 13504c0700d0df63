from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    """Orders from reservations, payments through a gateway, refunds that put
    everything back (docs/architecture.md, "Checkout")."""

    name = "apps.payments"
    label = "payments"
    verbose_name = "Orders and payments"
