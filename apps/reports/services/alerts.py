"""Low-stock alerts: opened and closed by a sweep over every stock row (beat),
never on the reserve path, which gains no work.

A stock row is low when its available units (on hand less held) are at or
below its reorder point (`LOW_STOCK`, the stock app's rule). An open alert
closes once they rise clear above it: past the reorder point by
REPORTS_ALERT_CLOSE_MARGIN_PERCENT of it (at least one unit), so a row that
hovers around the threshold keeps one alert open instead of opening and
closing one per sale and inbound. Each sweep is one transaction under an
advisory lock (two at once: the second leaves it to the first): one UPDATE
closes, one INSERT ... SELECT opens, whatever the number of rows.

Warehouse admins are told of new alerts by mail (Django's mail: the console
backend by default, EMAIL_URL for SMTP) after the commit, never inside it; an
alert whose mail failed stays untold (`notified_at` empty) and is told by the
next sweep.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from apps.core.db import advisory_xact_lock
from apps.stock.models import LOW_STOCK, Stock

from ..models import StockAlert

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StockAlertSweep:
    opened: int
    closed: int
    notified: int
    skipped: bool = False  # another sweep held the lock


def _margin():
    """Units past the reorder point that close an alert: a share of it, at least 1."""
    percent = settings.REPORTS_ALERT_CLOSE_MARGIN_PERCENT
    return Greatest(Value(1), (F("reorder_point") * percent + 99) / 100)


def stock_alerts_sweep(*, now: datetime | None = None) -> StockAlertSweep:
    now = now or timezone.now()
    with transaction.atomic():
        if not advisory_xact_lock("reports:stock-alerts", wait=False):
            return StockAlertSweep(0, 0, 0, skipped=True)
        recovered = Stock.objects.annotate(margin=_margin()).filter(
            on_hand__gt=F("reserved") + F("reorder_point") + F("margin")
        )
        closed = StockAlert.objects.filter(
            closed_at__isnull=True, stock_id__in=recovered.values("id")
        ).update(closed_at=now)
        open_alert = StockAlert.objects.filter(stock_id=OuterRef("pk"), closed_at__isnull=True)
        low = (
            Stock.objects.filter(LOW_STOCK)
            .filter(~Exists(open_alert))
            .values_list("id", "product_id", "warehouse_id", "reorder_point")
        )
        sql, params = low.query.sql_with_params()
        with connection.cursor() as cursor:
            # One statement for every row that fell low; a concurrent opener is
            # kept out by the lock, and the partial unique index is the last guard.
            cursor.execute(
                "INSERT INTO reports_stock_alert (stock_id, product_id, warehouse_id, "
                "reorder_point, available_at_open, opened_at) "
                "SELECT low.*, s.on_hand - s.reserved, %s "
                f"FROM ({sql}) low JOIN stock_stock s ON s.id = low.id "
                "WHERE true ON CONFLICT DO NOTHING",
                [connection.ops.adapt_datetimefield_value(now), *params],
            )
            opened = cursor.rowcount
    return StockAlertSweep(opened, closed, stock_alerts_notify(now=now))


def stock_alerts_notify(*, now: datetime | None = None) -> int:
    """Mail the warehouse admins about every open alert not told yet; outside
    any transaction. Returns how many alerts were told."""
    untold = list(
        StockAlert.objects.filter(notified_at__isnull=True, closed_at__isnull=True)
        .select_related("product", "warehouse")
        .order_by("id")[:500]
    )
    if not untold:
        return 0
    recipients = list(
        get_user_model()
        .objects.filter(is_active=True, is_warehouse_admin=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if recipients:
        lines = [
            f"- {alert.product.sku} at {alert.warehouse.code}: {alert.available_at_open} "
            f"available, reorder point {alert.reorder_point}"
            for alert in untold
        ]
        try:
            send_mail(
                subject=f"Low stock: {len(untold)} stock row(s) at or below their reorder point",
                message="\n".join(lines),
                from_email=None,
                recipient_list=recipients,
            )
        except Exception:  # told at the next sweep
            logger.exception("low-stock mail not sent; the next sweep tries again")
            return 0
    StockAlert.objects.filter(pk__in=[alert.pk for alert in untold]).update(
        notified_at=now or timezone.now()
    )
    return len(untold)
