"""Invariant 2, second half: reserved equals the quantity held by pending lines;
and lines mirror their reservation's state."""

from collections.abc import Iterator

from apps.core.audit import audit_rows, register


@register("stock: reserved equals the pending lines holding it")
def reserved_matches_pending_lines() -> Iterator[str]:
    for stock_id, reserved, held in audit_rows(
        """
        SELECT s.id, s.reserved, COALESCE(l.held, 0)
        FROM stock_stock s
        LEFT JOIN (
            SELECT stock_id, SUM(quantity) AS held FROM reservations_line
            WHERE pending GROUP BY stock_id
        ) l ON l.stock_id = s.id
        WHERE s.reserved <> COALESCE(l.held, 0)
        ORDER BY s.id
        """
    ):
        yield f"stock {stock_id}: reserved={reserved} but pending lines hold {held}"


@register("reservations: lines are pending exactly while their reservation is")
def lines_mirror_reservations() -> Iterator[str]:
    for line_id, reservation_id, status, pending in audit_rows(
        """
        SELECT l.id, l.reservation_id, r.status, l.pending
        FROM reservations_line l JOIN reservations_reservation r ON r.id = l.reservation_id
        WHERE l.pending <> (r.status = 'pending') OR (l.pending AND l.expires_at <> r.expires_at)
        ORDER BY l.id LIMIT 1000
        """
    ):
        yield f"line {line_id} of reservation {reservation_id} ({status}): pending={pending}"
