"""The roles of docs/api.md. Who holds which is decided by the accounts app."""

from django.db import models


class Role(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    WAREHOUSE_ADMIN = "warehouse_admin", "Warehouse admin"
    STAFF = "staff", "Staff"
