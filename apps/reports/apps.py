from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Daily stock and point reports built from the ledgers (docs/architecture.md,
    "Reports")."""

    name = "apps.reports"
    label = "reports"
    verbose_name = "Reports"
