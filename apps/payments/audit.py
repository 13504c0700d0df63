"""Invariant 5 (docs/architecture.md, "Invariants"): at most one pending-or-paid
payment per reservation; a paid order's reservation is confirmed and its
payment is paid for its total; the order's arithmetic; a refunded order's
`return` movements equal its `confirm` ones; and, with the fake gateway, one
net charge per paid payment, counted at the gateway."""

from collections.abc import Iterator

from django.conf import settings

from apps.core.audit import audit_rows, register

FAKE = "apps.payments.gateway.FakeGateway"


@register("payments: at most one pending-or-paid payment per reservation")
def one_live_payment_per_reservation() -> Iterator[str]:
    for reservation_id, count in audit_rows(
        """
        SELECT reservation_id, COUNT(*) FROM payments_payment
        WHERE status IN ('pending', 'paid')
        GROUP BY reservation_id HAVING COUNT(*) > 1
        ORDER BY reservation_id LIMIT 1000
        """
    ):
        yield f"reservation {reservation_id}: {count} payments pending or paid"


@register("payments: a paid order is confirmed and paid for its total")
def paid_orders_are_paid() -> Iterator[str]:
    for order_id, reservation_status, paid in audit_rows(
        """
        SELECT o.id, r.status,
               (SELECT COUNT(*) FROM payments_payment p
                 WHERE p.order_id = o.id AND p.status = 'paid' AND p.amount = o.total)
        FROM payments_order o JOIN reservations_reservation r ON r.id = o.reservation_id
        WHERE o.status = 'paid'
        ORDER BY o.id LIMIT 1000
        """
    ):
        if reservation_status != "confirmed" or paid != 1:
            yield (
                f"order {order_id}: paid, but its reservation is {reservation_status} "
                f"and {paid} payments are paid for its total"
            )


@register("payments: an order's total is its lines less discount and points")
def order_arithmetic() -> Iterator[str]:
    for order_id, subtotal, lines, discount, points, total in audit_rows(
        """
        SELECT o.id, o.subtotal, COALESCE(l.total, 0), o.coupon_discount, o.points_used, o.total
        FROM payments_order o
        LEFT JOIN (SELECT order_id, SUM(line_total) AS total FROM payments_order_line
                    GROUP BY order_id) l ON l.order_id = o.id
        WHERE o.subtotal <> COALESCE(l.total, 0)
           OR o.total <> o.subtotal - o.coupon_discount - o.points_used
           OR o.total < 0 OR o.coupon_discount > o.subtotal
        ORDER BY o.id LIMIT 1000
        """
    ):
        yield (
            f"order {order_id}: subtotal {subtotal} (lines {lines}) - discount {discount} "
            f"- points {points} != total {total}"
        )


@register("payments: a refunded order's returns equal its confirms")
def refunds_return_what_shipped() -> Iterator[str]:
    for order_id, stock_id, shipped, returned in audit_rows(
        """
        SELECT o.id, m.stock_id,
               -SUM(CASE WHEN m.type = 'confirm' THEN m.on_hand_delta ELSE 0 END),
               SUM(CASE WHEN m.type = 'return' THEN m.on_hand_delta ELSE 0 END)
        FROM payments_order o JOIN stock_movement m ON m.reservation_id = o.reservation_id
        WHERE o.status = 'refunded' AND m.type IN ('confirm', 'return')
        GROUP BY o.id, m.stock_id
        HAVING -SUM(CASE WHEN m.type = 'confirm' THEN m.on_hand_delta ELSE 0 END)
            <> SUM(CASE WHEN m.type = 'return' THEN m.on_hand_delta ELSE 0 END)
        ORDER BY o.id LIMIT 1000
        """
    ):
        yield f"order {order_id}: stock {stock_id} shipped {shipped}, {returned} returned"


@register("payments: one charge at the gateway per paid payment (fake gateway)")
def one_charge_per_paid_payment() -> Iterator[str]:
    if settings.PAYMENT_GATEWAY != FAKE:
        return
    # References are our payment ids as text; compared without hyphens because
    # SQLite (the embedded default) stores a UUID as 32 hex digits.
    # A charge the gateway holds is explained by a payment paid, still pending
    # (its answer unknown or on its way), or failed with its refund asked for.
    for reference, charge, status in audit_rows(
        """
        SELECT c.reference, c.status, COALESCE(p.status, 'none')
        FROM payments_fake_gateway_charge c
        LEFT JOIN payments_payment p
               ON REPLACE(CAST(p.id AS varchar(64)), '-', '') = REPLACE(c.reference, '-', '')
        WHERE (c.status = 'approved' AND NOT COALESCE(
                  p.status IN ('paid', 'pending')
               OR (p.status = 'failed' AND p.refund_requested_at IS NOT NULL), false))
           OR (c.status = 'refunded' AND NOT COALESCE(
                  p.status IN ('cancelled', 'pending')
               OR (p.status IN ('failed', 'paid') AND p.refund_requested_at IS NOT NULL), false))
        ORDER BY c.reference LIMIT 1000
        """
    ):
        yield f"gateway charge {reference} is {charge} but our payment is {status}"
    for (payment_id,) in audit_rows(
        """
        SELECT p.id FROM payments_payment p
        WHERE p.status = 'paid' AND p.amount > 0 AND NOT EXISTS (
            SELECT 1 FROM payments_fake_gateway_charge c
             WHERE REPLACE(c.reference, '-', '') = REPLACE(CAST(p.id AS varchar(64)), '-', '')
               AND c.status = 'approved')
        ORDER BY p.id LIMIT 1000
        """
    ):
        yield f"payment {payment_id} is paid without a charge at the gateway"
