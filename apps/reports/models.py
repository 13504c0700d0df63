"""Daily reports, built from the ledgers by set-based SQL (services.py).

A report row counts one day of one stock row (or one user's points), for a
calendar day of REPORTS_TIME_ZONE. Only closed days are stored; today's rows
are computed live and never stored. Which days are built, and the window of
each in UTC, is a ReportDay row; the running values at the end of the last day
of the unbroken run of built days are kept per stock row (or user) in a balance
table, so a day's build reads that day's ledger rows only.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class ReportKind(models.TextChoices):
    STOCK = "stock", "Daily stock"
    POINTS = "points", "Daily points"


class ReportDay(models.Model):
    """A day built for one kind of report, with its window [starts_at, ends_at)
    in UTC (23 or 25 hours across a daylight-saving change)."""

    kind = models.CharField(max_length=8, choices=ReportKind.choices)
    date = models.DateField()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    rows = models.BigIntegerField()
    seconds = models.FloatField()
    built_at = models.DateTimeField()

    class Meta:
        db_table = "reports_day"
        constraints = [
            models.UniqueConstraint(fields=["kind", "date"], name="report_day_once"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="report_day_window"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.date}"


class ReportCursor(models.Model):
    """The last day of the unbroken run of built days of a kind: its balance
    table holds the running values at that day's end."""

    kind = models.CharField(max_length=8, choices=ReportKind.choices, primary_key=True)
    date = models.DateField()
    ends_at = models.DateTimeField()

    class Meta:
        db_table = "reports_cursor"

    def __str__(self) -> str:
        return f"{self.kind} built through {self.date}"


class StockDailyReport(models.Model):
    """One stock row's day. Counters are units, positive; `adjusted` is signed.
    opening_on_hand + inbound + adjusted - confirmed + returned = closing_on_hand."""

    id = models.BigAutoField(primary_key=True)
    date = models.DateField()
    stock = models.ForeignKey(
        "stock.Stock", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    product = models.ForeignKey(
        "products.Product", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    warehouse = models.ForeignKey(
        "products.Warehouse", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    opening_on_hand = models.BigIntegerField()
    inbound = models.BigIntegerField()
    adjusted = models.BigIntegerField()
    reserved = models.BigIntegerField()
    released = models.BigIntegerField()
    expired = models.BigIntegerField()
    confirmed = models.BigIntegerField()
    returned = models.BigIntegerField()
    closing_on_hand = models.BigIntegerField()
    closing_reserved = models.BigIntegerField()

    class Meta:
        db_table = "reports_stock_daily"
        constraints = [
            models.UniqueConstraint(fields=["date", "stock"], name="stock_report_once_a_day"),
            models.CheckConstraint(
                condition=Q(
                    closing_on_hand=F("opening_on_hand")
                    + F("inbound")
                    + F("adjusted")
                    - F("confirmed")
                    + F("returned")
                ),
                name="stock_report_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(closing_reserved__gte=0, closing_on_hand__gte=F("closing_reserved")),
                name="stock_report_closing_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["date", "id"], name="stock_report_date_idx"),
            models.Index(fields=["product", "date"], name="stock_report_product_idx"),
            models.Index(fields=["stock", "date"], name="stock_report_stock_idx"),
        ]

    def __str__(self) -> str:
        return f"stock {self.stock_id} on {self.date}"


class PointDailyReport(models.Model):
    """One user's points on one day. earned = earned_free + earned_paid;
    net = earned - used + cancelled - expired (cancelled is signed: a cancelled
    use gives points back, a cancelled earn takes them)."""

    id = models.BigAutoField(primary_key=True)
    date = models.DateField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    earned_free = models.BigIntegerField()
    earned_paid = models.BigIntegerField()
    earned = models.BigIntegerField()
    used = models.BigIntegerField()
    cancelled = models.BigIntegerField()
    expired = models.BigIntegerField()
    net = models.BigIntegerField()
    closing_balance = models.BigIntegerField()

    class Meta:
        db_table = "reports_points_daily"
        constraints = [
            models.UniqueConstraint(fields=["date", "user"], name="point_report_once_a_day"),
            models.CheckConstraint(
                condition=Q(earned=F("earned_free") + F("earned_paid"))
                & Q(net=F("earned") - F("used") + F("cancelled") - F("expired")),
                name="point_report_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(closing_balance__gte=0), name="point_report_closing_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["date", "id"], name="point_report_date_idx"),
            models.Index(fields=["user", "date"], name="point_report_user_idx"),
        ]

    def __str__(self) -> str:
        return f"points of user {self.user_id} on {self.date}"


class StockBalance(models.Model):
    """A stock row's on_hand and reserved at the end of the report cursor's day."""

    stock = models.OneToOneField(
        "stock.Stock", on_delete=models.PROTECT, primary_key=True, related_name="+"
    )
    on_hand = models.BigIntegerField()
    reserved = models.BigIntegerField()

    class Meta:
        db_table = "reports_stock_balance"

    def __str__(self) -> str:
        return f"stock {self.stock_id}: {self.on_hand} on hand, {self.reserved} reserved"


class PointBalance(models.Model):
    """A user's points (free and paid) at the end of the report cursor's day."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, primary_key=True, related_name="+"
    )
    balance = models.BigIntegerField()

    class Meta:
        db_table = "reports_points_balance"

    def __str__(self) -> str:
        return f"user {self.user_id}: {self.balance} points"


class StockAlert(models.Model):
    """A stock row at or below its reorder point: opened by the alert sweep
    (services/alerts.py) when its available units fall that low, closed when
    they rise clear above it (the reorder point plus a margin, so a row
    hovering at the threshold does not open and close alert after alert). At
    most one open alert per stock row."""

    id = models.BigAutoField(primary_key=True)
    stock = models.ForeignKey(
        "stock.Stock", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    product = models.ForeignKey(
        "products.Product", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    warehouse = models.ForeignKey(
        "products.Warehouse", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    reorder_point = models.BigIntegerField()
    available_at_open = models.BigIntegerField()
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    # When the warehouse admins were told (mail is sent after the commit; an
    # alert still untold is told at the next sweep).
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "reports_stock_alert"
        constraints = [
            models.UniqueConstraint(
                fields=["stock"], condition=Q(closed_at__isnull=True), name="stock_alert_one_open"
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(closed_at__gte=F("opened_at")),
                name="stock_alert_closes_after_it_opens",
            ),
        ]
        indexes = [
            models.Index(fields=["opened_at", "id"], name="stock_alert_opened_idx"),
            models.Index(fields=["stock", "opened_at"], name="stock_alert_stock_idx"),
            models.Index(
                fields=["notified_at"],
                name="stock_alert_untold_idx",
                condition=Q(notified_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        state = "open" if self.closed_at is None else "closed"
        return f"low stock on {self.stock_id} ({state})"
