from django.apps import AppConfig


class CompaniesConfig(AppConfig):
    """Companies, their members, and the monthly settlement of their point
    wallets (docs/architecture.md, "Companies and settlement"). The wallet itself
    is the points wallet with a company as its owner."""

    name = "apps.companies"
    label = "companies"
    verbose_name = "Companies"
