"""Invariant 6 (docs/architecture.md, "Invariants"): a stored stock report's
closing values equal the ledger's running values at the end of its day, and a
point report's net equals its day's ledger deltas and its closing balance the
running balance. A day's window is its ReportDay row's. Portable SQL: the
embedded default runs the audit too."""

from collections.abc import Iterator

from apps.core.audit import audit_rows, register


@register("reports: a stock report closes where the ledger stands at the day's end")
def stock_reports_match_the_ledger() -> Iterator[str]:
    for day, stock_id, on_hand, reserved, ledger_on_hand, ledger_reserved in audit_rows(
        """
        SELECT * FROM (
            SELECT r.date, r.stock_id, r.closing_on_hand, r.closing_reserved,
                   (SELECT COALESCE(SUM(m.on_hand_delta), 0) FROM stock_movement m
                     WHERE m.stock_id = r.stock_id AND m.created_at < d.ends_at) AS on_hand,
                   (SELECT COALESCE(SUM(m.reserved_delta), 0) FROM stock_movement m
                     WHERE m.stock_id = r.stock_id AND m.created_at < d.ends_at) AS reserved
              FROM reports_stock_daily r
              JOIN reports_day d ON d.kind = 'stock' AND d.date = r.date
        ) x
        WHERE closing_on_hand <> on_hand OR closing_reserved <> reserved
        ORDER BY date, stock_id LIMIT 1000
        """
    ):
        yield (
            f"stock {stock_id} on {day}: report closes at {on_hand}/{reserved}, "
            f"the ledger at {ledger_on_hand}/{ledger_reserved}"
        )
    for day, stock_id in audit_rows(
        """
        SELECT d.date, m.stock_id FROM reports_day d
        JOIN stock_movement m ON m.created_at >= d.starts_at AND m.created_at < d.ends_at
        WHERE d.kind = 'stock' AND NOT EXISTS (
            SELECT 1 FROM reports_stock_daily r WHERE r.date = d.date AND r.stock_id = m.stock_id)
        GROUP BY d.date, m.stock_id ORDER BY d.date, m.stock_id LIMIT 1000
        """
    ):
        yield f"stock {stock_id} moved on {day}, a built day, but has no report row"


@register("reports: a point report's net is its day's ledger deltas")
def point_reports_match_the_ledger() -> Iterator[str]:
    for day, user_id, net, closing, ledger_net, ledger_balance in audit_rows(
        """
        SELECT * FROM (
            SELECT r.date, r.user_id, r.net, r.closing_balance,
                   (SELECT COALESCE(SUM(e.free_delta + e.paid_delta), 0) FROM points_entry e
                     WHERE e.user_id = r.user_id AND e.created_at >= d.starts_at
                       AND e.created_at < d.ends_at) AS ledger_net,
                   (SELECT COALESCE(SUM(e.free_delta + e.paid_delta), 0) FROM points_entry e
                     WHERE e.user_id = r.user_id AND e.created_at < d.ends_at) AS ledger_balance
              FROM reports_points_daily r
              JOIN reports_day d ON d.kind = 'points' AND d.date = r.date
        ) x
        WHERE net <> ledger_net OR closing_balance <> ledger_balance
        ORDER BY date, user_id LIMIT 1000
        """
    ):
        yield (
            f"user {user_id} on {day}: report net {net}, closing {closing}; "
            f"the ledger {ledger_net}, {ledger_balance}"
        )
    for day, user_id in audit_rows(
        """
        SELECT d.date, e.user_id FROM reports_day d
        JOIN points_entry e ON e.created_at >= d.starts_at AND e.created_at < d.ends_at
        WHERE d.kind = 'points' AND e.user_id IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM reports_points_daily r WHERE r.date = d.date AND r.user_id = e.user_id)
        GROUP BY d.date, e.user_id ORDER BY d.date, e.user_id LIMIT 1000
        """
    ):
        yield f"user {user_id} had entries on {day}, a built day, but has no report row"
