"""Every write of the reports app: building the daily reports (build.py) and
the low-stock alerts (alerts.py)."""

from .alerts import StockAlertSweep, stock_alerts_notify, stock_alerts_sweep
from .build import (
    POINTS,
    SPECS,
    STOCK,
    Built,
    Spec,
    report_build,
    report_rows_live,
    report_summary_live,
    reports_build_missing,
)

__all__ = [
    "POINTS",
    "SPECS",
    "STOCK",
    "Built",
    "Spec",
    "StockAlertSweep",
    "report_build",
    "report_rows_live",
    "report_summary_live",
    "reports_build_missing",
    "stock_alerts_notify",
    "stock_alerts_sweep",
]
