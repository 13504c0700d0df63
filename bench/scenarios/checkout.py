"""Checkout under load: reserve one unit of a product, then pay for that hold.

- `checkout.spread.reserve_pay`: each wrk connection reserves 1 unit of one of
  the 10,000 products of `reservations.spread.*` (at random) and, on the 201,
  checks the hold out: `POST /api/v1/orders/` by card with `tok_approve` and an
  Idempotency-Key of its own (bench/lua/requests.lua, `then`). rps counts both
  requests; a checkout per second is two of them.
- `checkout.spread.reserve`: the reserve alone, the same products, so the
  price of the order (coupon and points not used: a card pays the total) is
  read off the two in one run.

Levels 16 and 64. No SQL ceiling: a checkout is three transactions around a
gateway call (the fake gateway's own book is a table of the same database),
and what it is set against is the reserve alone and the no-op endpoint.

Post-check, from the database: `manage.py audit` is clean (invariant 5 counts
one net charge at the fake gateway per paid payment); every order made during
the run is paid, with one approved charge at the gateway for its payment, and
no approved charge lacks a paid payment.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..context import Context
from ..model import CheckResult, FollowUp, Scenario, Variant, post_json
from .catalog import API, audit
from .reservations import RESERVATIONS, SPREAD, cancel_leftovers, reserve_body, spread_products

ORDERS = f"{API}/orders/"
PAY = {"reservation_id": "{id}", "payment_method": "card", "payment_token": "tok_approve"}

_SINCE: dict[str, object] = {}


def products(ctx: Context) -> list[Variant]:
    """The spread products, once earlier runs' pending holds are cancelled."""
    left = cancel_leftovers(ctx)
    if left:
        ctx.note(f"{left:,} holds left pending by earlier runs cancelled first")
    _SINCE["at"] = ctx.query("SELECT now()")[0][0]
    variants = spread_products(ctx)
    ctx.note(f"{len(variants):,} products at random, 1 unit per reserve")
    return variants


def leftovers_cancelled(ctx: Context) -> CheckResult:
    """The reserve alone leaves every hold pending: cancel them (the audit first)."""
    audited = audit(ctx)
    left = cancel_leftovers(ctx)
    return CheckResult(ok=audited.ok, detail=f"{left:,} holds cancelled; audit: {audited.detail}")


def paid_once(ctx: Context) -> CheckResult:
    audited = audit(ctx)
    orders, paid, pending, charges, orphans = ctx.query(
        """
        WITH made AS (
            SELECT o.id, o.status, p.id AS payment_id, p.status AS payment_status
              FROM payments_order o JOIN payments_payment p ON p.order_id = o.id
             WHERE o.user_id = %(user)s AND o.created_at >= %(since)s
        )
        SELECT (SELECT count(DISTINCT id) FROM made),
               (SELECT count(*) FROM made WHERE status = 'paid' AND payment_status = 'paid'),
               (SELECT count(*) FROM made WHERE payment_status = 'pending'),
               (SELECT count(*) FROM made
                  JOIN payments_fake_gateway_charge c
                    ON c.reference = made.payment_id::text AND c.status = 'approved'),
               (SELECT count(*) FROM payments_fake_gateway_charge c
                 WHERE c.status = 'approved' AND c.created_at >= %(since)s
                   AND NOT EXISTS (SELECT 1 FROM payments_payment p
                                    WHERE p.id = c.reference::uuid AND p.status = 'paid'))
        """,
        {"user": ctx.bench_user_id("customer"), "since": _SINCE["at"]},
    )[0]
    ok = audited.ok and paid == orders == charges and orphans == 0
    detail = (
        f"{orders:,} orders, {paid:,} paid, {pending:,} pending; {charges:,} approved charges "
        f"at the gateway for them, {orphans:,} without a paid payment; audit: {audited.detail}"
    )
    return CheckResult(ok=ok, detail=detail)


SCENARIOS: Sequence[Scenario] = (
    Scenario(
        name="checkout.spread.reserve",
        description=f"Reserve 1 unit of one of {SPREAD:,} products at random (the hold stays).",
        request=post_json(
            RESERVATIONS, reserve_body, auth="customer", unique_header="X-Request-ID"
        ),
        variants=products,
        levels=(16, 64),
        pick="random",
        post_check=leftovers_cancelled,
    ),
    Scenario(
        name="checkout.spread.reserve_pay",
        description=f"Reserve 1 unit of one of {SPREAD:,} products, then pay for it by card.",
        request=post_json(
            RESERVATIONS,
            reserve_body,
            auth="customer",
            unique_header="X-Request-ID",
            # A reservation's 201 (it has an expiry), not the order's.
            then=FollowUp(
                "POST", ORDERS, body=PAY, unique_header="Idempotency-Key", when='"expires_at":'
            ),
        ),
        variants=products,
        levels=(16, 64),
        pick="random",
        post_check=paid_once,
    ),
)
