from django.apps import AppConfig


class LedgerConfig(AppConfig):
    """The stock ledger: StockMovement, one row per change of a stock row.

    Named `ledger` (it was `transactions`, a name that read like
    django.db.transaction); its migrations replace those of the old label, so a
    database migrated under it carries on."""

    name = "apps.ledger"
    label = "ledger"
    verbose_name = "Stock ledger"
