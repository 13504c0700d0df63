"""Invariants 1 and 2 (docs/architecture.md, "Invariants"), over every stock
row, its movements and the holds on it, in SQL."""

from collections.abc import Iterator

from apps.core.audit import audit_rows, register


@register("stock: 0 <= reserved <= on_hand")
def stock_counters_within_bounds() -> Iterator[str]:
    for stock_id, on_hand, reserved in audit_rows(
        "SELECT id, on_hand, reserved FROM stock_stock "
        "WHERE NOT (reserved >= 0 AND reserved <= on_hand) ORDER BY id"
    ):
        yield f"stock {stock_id}: on_hand={on_hand} reserved={reserved}"


@register("stock: counters equal the sums of their movements")
def stock_counters_match_ledger() -> Iterator[str]:
    for stock_id, on_hand, reserved, on_hand_sum, reserved_sum in audit_rows(
        """
        SELECT s.id, s.on_hand, s.reserved,
               COALESCE(m.on_hand_sum, 0), COALESCE(m.reserved_sum, 0)
        FROM stock_stock s
        LEFT JOIN (
            SELECT stock_id, SUM(on_hand_delta) AS on_hand_sum,
                   SUM(reserved_delta) AS reserved_sum
            FROM stock_movement GROUP BY stock_id
        ) m ON m.stock_id = s.id
        WHERE s.on_hand <> COALESCE(m.on_hand_sum, 0)
           OR s.reserved <> COALESCE(m.reserved_sum, 0)
        ORDER BY s.id
        """
    ):
        yield (
            f"stock {stock_id}: on_hand={on_hand} but movements sum to {on_hand_sum}; "
            f"reserved={reserved} but movements sum to {reserved_sum}"
        )


@register("ledger: after-values equal the running sums")
def ledger_after_values_are_running_sums() -> Iterator[str]:
    for (
        movement_id,
        stock_id,
        on_hand_after,
        running_on_hand,
        reserved_after,
        running,
    ) in audit_rows(
        """
        SELECT id, stock_id, on_hand_after, running_on_hand, reserved_after, running_reserved
        FROM (
            SELECT id, stock_id, on_hand_after, reserved_after,
                   SUM(on_hand_delta) OVER w AS running_on_hand,
                   SUM(reserved_delta) OVER w AS running_reserved
            FROM stock_movement
            WINDOW w AS (PARTITION BY stock_id ORDER BY id)
        ) ledger
        WHERE on_hand_after <> running_on_hand OR reserved_after <> running_reserved
        ORDER BY id
        LIMIT 1000
        """
    ):
        yield (
            f"movement {movement_id} (stock {stock_id}): on_hand_after={on_hand_after} "
            f"running={running_on_hand}; reserved_after={reserved_after} running={running}"
        )


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
