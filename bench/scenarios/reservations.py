"""Reservations under load: reserve one unit, then cancel that reservation, over HTTP.

- hot: every request on one stock row (one product in one warehouse), the row
  lock is the bottleneck; levels 1, 16, 64 and 256.
- spread: 10,000 products picked at random; the CPU of the web tier is the
  bottleneck; levels 16 and 64.

Each wrk thread sends a reserve and, on its 201, the cancel of what it reserved
(bench/lua/requests.lua, `then`), so rps counts both. The SQL ceiling runs the
same two transactions in pgbench (the minimum SQL: lock, update, inserts) and is
reported in requests per second (two per script run).

Post-check, from the database: `manage.py audit` is clean; every reservation
made during the scenario wrote exactly one `reserve` movement; and the units
that left availability on the rows used equal the holds still pending (holds
made minus holds released), so no unit was lost or sold twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from ..context import Context
from ..model import (
    UNIQUE,
    CheckResult,
    FollowUp,
    Scenario,
    ScenarioFailed,
    SqlCeiling,
    Variant,
    post_json,
)
from .catalog import API, SEED, audit

RESERVATIONS = f"{API}/reservations/"
HOT_SKU = "BENCH-HOT-1"
HOT_UNITS = 1_000_000  # never the limit: each reserve is cancelled
SPREAD = 10_000

# The two transactions, as the endpoint needs them at the least. {{user_id}},
# {{stock_id}}, {{product_id}}, {{warehouse_id}}.
RESERVE_CANCEL_SQL = """
BEGIN;
INSERT INTO reservations_reservation
    (id, user_id, order_id, status, expires_at, created_at, updated_at)
VALUES (gen_random_uuid(), {{user_id}}, 'pgbench-' || gen_random_uuid(), 'pending',
        now() + interval '15 minutes', now(), now())
RETURNING id AS rid \\gset
SELECT on_hand, reserved FROM stock_stock WHERE id = {{stock_id}} FOR UPDATE;
UPDATE stock_stock SET reserved = reserved + 1, updated_at = now() WHERE id = {{stock_id}}
RETURNING on_hand AS oh, reserved AS rs \\gset
INSERT INTO reservations_line
    (quantity, unit_price, pending, expires_at, product_id, reservation_id, stock_id,
     warehouse_id)
VALUES (1, (SELECT price FROM products_product WHERE id = {{product_id}}::uuid), true,
        now() + interval '15 minutes', {{product_id}}::uuid, :rid, {{stock_id}},
        {{warehouse_id}});
INSERT INTO stock_movement
    (type, stock_id, product_id, warehouse_id, on_hand_delta, reserved_delta, on_hand_after,
     reserved_after, reservation_id, reason, reference, created_at, actor_id)
VALUES ('reserve', {{stock_id}}, {{product_id}}::uuid, {{warehouse_id}}, 0, 1, :oh, :rs, :rid,
        '', '', now(), {{user_id}});
COMMIT;
BEGIN;
SELECT status FROM reservations_reservation WHERE id = :rid FOR UPDATE;
SELECT on_hand FROM stock_stock WHERE id = {{stock_id}} FOR UPDATE;
UPDATE stock_stock SET reserved = reserved - 1, updated_at = now() WHERE id = {{stock_id}}
RETURNING on_hand AS oh, reserved AS rs \\gset
UPDATE reservations_line SET pending = false WHERE reservation_id = :rid AND pending;
UPDATE reservations_reservation SET status = 'cancelled', cancelled_at = now(), updated_at = now()
 WHERE id = :rid;
INSERT INTO stock_movement
    (type, stock_id, product_id, warehouse_id, on_hand_delta, reserved_delta, on_hand_after,
     reserved_after, reservation_id, reason, reference, created_at, actor_id)
VALUES ('release', {{stock_id}}, {{product_id}}::uuid, {{warehouse_id}}, 0, -1, :oh, :rs, :rid,
        '', '', now(), {{user_id}});
COMMIT;
"""
RESERVE_EXPLAIN_SQL = """
UPDATE stock_stock SET reserved = reserved + 1, updated_at = now() WHERE id = {{stock_id}}
"""


def _ceiling() -> SqlCeiling:
    return SqlCeiling(RESERVE_CANCEL_SQL, explain=RESERVE_EXPLAIN_SQL, requests_per_script=2)


def reserve_body(variant: Variant) -> dict:
    return {
        "order_id": UNIQUE,  # a fresh value per request (requests.lua)
        "lines": [{"product_id": variant["product_id"], "quantity": 1}],
    }


# --- Setups -----------------------------------------------------------------------


# What each post-check compares against, recorded by its setup just before the load.
_BEFORE: dict[str, dict] = {}


def _available(ctx: Context, stock_ids: list[int]) -> int:
    (available,) = ctx.query(
        "SELECT COALESCE(SUM(on_hand - reserved), 0) FROM stock_stock WHERE id = ANY(%s)",
        [stock_ids],
    )[0]
    return int(available)


def cancel_leftovers(ctx: Context) -> int:
    """Cancel the bench customer's pending holds that earlier runs left (wrk stops
    between a reserve and its follow-up), so no older hold is released or paid
    during the next load. Returns how many."""
    from django.contrib.auth import get_user_model

    from apps.reservations.services import reservation_cancel
    from apps.stock.models import Reservation

    user = get_user_model().objects.get(pk=ctx.bench_user_id("customer"))
    leftovers = list(
        Reservation.objects.filter(user=user, status="pending").values_list("pk", flat=True)
    )
    for reservation_id in leftovers:
        reservation_cancel(reservation_id=reservation_id, user=user)
    return len(leftovers)


def _snapshot(ctx: Context, key: str, stock_ids: list[int]) -> None:
    """Cancel what earlier runs left pending, then record."""
    cancel_leftovers(ctx)
    _BEFORE[key] = {
        "stock_ids": stock_ids,
        "available": _available(ctx, stock_ids),
        "since": ctx.query("SELECT now()")[0][0],
        "user_id": ctx.bench_user_id("customer"),
    }


def hot_row(ctx: Context) -> list[Variant]:
    from apps.products.models import Product
    from apps.products.services import ProductData, product_create
    from apps.stock.models import Stock
    from apps.stock.services import stock_inbound

    product = Product.objects.filter(sku=HOT_SKU, deleted_at__isnull=True).first()
    if product is None:
        product = product_create(
            data=ProductData(sku=HOT_SKU, name="Benchmark hot product", price=Decimal("10.00"))
        )
    stock = Stock.objects.filter(product=product).select_related("warehouse").first()
    if stock is None or stock.on_hand - stock.reserved < HOT_UNITS // 2:
        code = ctx.query("SELECT code FROM products_warehouse WHERE is_active ORDER BY priority")
        if not code:
            raise ScenarioFailed("no active warehouse in the bench database")
        stock = stock_inbound(
            product_id=product.pk, warehouse_code=code[0][0], quantity=HOT_UNITS, actor_id=None
        ).stock
    if Stock.objects.filter(product=product).count() != 1:
        raise ScenarioFailed(f"{HOT_SKU} must have exactly one stock row")
    ctx.note(f"one stock row ({stock.pk}) of product {product.pk}, 1 unit per reserve")
    _snapshot(ctx, "hot", [stock.pk])
    return [
        {
            "product_id": str(product.pk),
            "stock_id": stock.pk,
            "warehouse_id": stock.warehouse_id,
            "user_id": ctx.bench_user_id("customer"),
        }
    ]


def spread_rows(ctx: Context) -> list[Variant]:
    """10,000 products on sale with free stock in exactly one warehouse... or more:
    the reserve takes from the highest-priority row with stock."""
    variants = spread_products(ctx)
    ctx.note(f"{len(variants):,} products at random, 1 unit per reserve")
    # Every row of these products: a reserve takes from the first row with stock.
    (stock_ids,) = ctx.query(
        "SELECT array_agg(id) FROM stock_stock WHERE product_id = ANY(%s::uuid[])",
        [[variant["product_id"] for variant in variants]],
    )[0]
    _snapshot(ctx, "spread", stock_ids)
    return variants


def spread_products(ctx: Context) -> list[Variant]:
    """The same 10,000 products on sale at random (a fixed seed), each with the
    first stock row a reserve of it takes from."""
    ctx.query("SELECT setseed(%s)", [SEED / 100])
    rows = ctx.query(
        """
        SELECT DISTINCT ON (p.id) p.id, s.id, s.warehouse_id
          FROM (SELECT id FROM products_product
                 WHERE deleted_at IS NULL AND status = 'active'
                   AND (sale_starts_at IS NULL OR sale_starts_at <= now())
                   AND (sale_ends_at IS NULL OR sale_ends_at > now())
                 ORDER BY random() LIMIT %s) p
          JOIN stock_stock s ON s.product_id = p.id
          JOIN products_warehouse w ON w.id = s.warehouse_id AND w.is_active
         WHERE s.on_hand - s.reserved >= 100
         ORDER BY p.id, w.priority, w.id
        """,
        [SPREAD * 2],
    )[:SPREAD]
    if len(rows) < SPREAD:
        raise ScenarioFailed(f"only {len(rows)} products with 100 free units (need {SPREAD})")
    user_id = ctx.bench_user_id("customer")
    return [
        {
            "product_id": str(product_id),
            "stock_id": stock_id,
            "warehouse_id": warehouse_id,
            "user_id": user_id,
        }
        for product_id, stock_id, warehouse_id in rows
    ]


# --- Post-check -------------------------------------------------------------------


def holds_balance(key: str):
    def check(ctx: Context) -> CheckResult:
        before = _BEFORE[key]
        audited = audit(ctx)
        made, pending, reserve_movements = ctx.query(
            """
            WITH made AS (
                SELECT id, status FROM reservations_reservation
                 WHERE user_id = %(user)s AND created_at >= %(since)s
            )
            SELECT (SELECT count(*) FROM made),
                   (SELECT count(*) FROM made WHERE status = 'pending'),
                   -- one index probe per reservation (the planner's estimate of
                   -- `made` is stale right after the load)
                   (SELECT count(*) FROM made
                      JOIN LATERAL (SELECT 1 FROM stock_movement m
                                     WHERE m.reservation_id = made.id
                                       AND m.type = 'reserve') x ON true)
            """,
            {"user": before["user_id"], "since": before["since"]},
        )[0]
        left = before["available"] - _available(ctx, before["stock_ids"])
        balanced = left == pending and reserve_movements == made
        detail = (
            f"{made:,} holds made, {made - pending:,} released, {pending:,} still pending; "
            f"{left:,} units left availability; {reserve_movements:,} reserve movements; "
            f"audit: {audited.detail}"
        )
        return CheckResult(ok=audited.ok and balanced, detail=detail)

    return check


SCENARIOS: Sequence[Scenario] = (
    Scenario(
        name="reservations.hot.reserve_cancel",
        description="Reserve 1 unit of one stock row, then cancel it (row-lock contention).",
        request=post_json(
            RESERVATIONS,
            reserve_body,
            auth="customer",
            unique_header="X-Request-ID",
            then=FollowUp("POST", f"{RESERVATIONS}{{id}}/cancel/"),
        ),
        variants=hot_row,
        levels=(1, 16, 64, 256),
        ceiling=_ceiling(),
        post_check=holds_balance("hot"),
    ),
    Scenario(
        name="reservations.spread.reserve_cancel",
        description=f"Reserve 1 unit of one of {SPREAD:,} products at random, then cancel it.",
        request=post_json(
            RESERVATIONS,
            reserve_body,
            auth="customer",
            unique_header="X-Request-ID",
            then=FollowUp("POST", f"{RESERVATIONS}{{id}}/cancel/"),
        ),
        variants=spread_rows,
        levels=(16, 64),
        pick="random",
        ceiling=_ceiling(),
        post_check=holds_balance("spread"),
    ),
)
