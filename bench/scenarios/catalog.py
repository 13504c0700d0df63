"""Catalog and stock: product list (first page, deep cursor, search, price range),
availability (one product, 100 at once) and inbound stock (many rows, one row).

Needs a seeded bench database (`make bench-seed`, 1,000,000 products). Setups
sample what the requests spread over; each records what it picked as notes.

Deep cursor: one walk with page_size=100 (the cursor encodes a position, not a
page size) past row 20,000, keeping 50 cursors one every 10 pages of 20: the
load then reads pages 1,001 to 1,491 with page_size=20. 300 requests once,
instead of 1,000 per cursor, and 50 positions instead of one hot page.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..context import Context
from ..model import (
    CheckResult,
    Scenario,
    ScenarioFailed,
    SqlCeiling,
    Variant,
    fields,
    get,
    post_json,
    sql_literal,
)

API = "/api/v1"
PRODUCTS = f"{API}/products/"
PAGE_SIZE = 20
WALK_PAGE_SIZE = 100
DEEP_FROM_PAGE = 1_000  # in pages of PAGE_SIZE
DEEP_CURSORS = 50
DEEP_STRIDE = 2  # in pages of WALK_PAGE_SIZE between kept cursors
POOL = 10_000  # random products the availability and inbound requests spread over
SPREAD = 1_000
BULK = 100
COMMON_WORD_MIN_ROWS = 100_000
SAMPLE_ROWS = 20_000  # rows read by TABLESAMPLE to pick words and prices
SEARCH_CONFIG = "english"  # as apps.products.selectors.SEARCH_CONFIG (migration 0002)
SEED = 42  # the same samples from one run to the next, on the same data

# --- SQL ceilings --------------------------------------------------------------
# The SQL each endpoint issues, as a pgbench script; `python -m bench catalog
# --show-sql` prints it, one request per scenario. `{{name}}` is replaced by the
# SQL literal of the variant's value (strings quoted, lists as ARRAY[...]). A
# write script must keep the audit's invariants (it runs the endpoint's own
# transaction). The reads are built from the endpoints' own statements
# (apps/products/listing.py, apps/stock/availability.py), once Django is set
# up, so the two cannot drift apart.


class _Placeholder(str):
    """A parameter written as is: a `{{name}}` of the variant, or SQL."""


def _as_script(sql: str, params) -> str:
    """An endpoint's statement, its %s or %(name)s parameters written as SQL
    literals (placeholders as they are), as one pgbench statement. pgbench reads
    ":MI" as a variable even inside quotes: such colons are written chr(58),
    which the planner folds back into the same constant."""

    def literal(value) -> str:
        return value if isinstance(value, _Placeholder) else sql_literal(value)

    if isinstance(params, dict):
        text = sql % {name: literal(value) for name, value in params.items()}
    else:
        text = sql % tuple(literal(value) for value in params)
    text = re.sub(r"'[^']*'", lambda m: m.group(0).replace(":", "' || chr(58) || '"), text)
    return text.strip() + ";"


def _list_script(ordering: str, *, after: bool = False, **filters: str) -> Callable[[], str]:
    """The list's statement for a page at `ordering` (`-field` descending), after
    the cursor's position ({{cursor_v}}, {{cursor_k}}) if `after`, filtered by
    `filters` (their values: the variant's names)."""

    def build() -> str:
        from apps.core.pagination import Keyset
        from apps.products.listing import page_statement

        field = ordering.lstrip("-")
        keyset = Keyset(
            table='"products_product"',
            field=field,
            key="id",
            column=f'"{field}"',
            key_column='"id"',
            descending=ordering.startswith("-"),
            after=(_Placeholder("{{cursor_v}}"), _Placeholder("{{cursor_k}}")) if after else None,
            limit=PAGE_SIZE + 1,
        )
        values = {name: _Placeholder(f"{{{{{value}}}}}") for name, value in filters.items()}
        sql, params, _ = page_statement(keyset, values)
        return _as_script(sql, params)

    return build


def _availability_script(products: str) -> Callable[[], str]:
    """The availability statement, for the products `products` (SQL of a uuid[])."""

    def build() -> str:
        from apps.stock.availability import availability_sql

        params = {"products": _Placeholder(products), "now": _Placeholder("now()")}
        return _as_script(availability_sql(), params)

    return build


# Variants: none.
LIST_FIRST_PAGE_SQL = _list_script("-created_at")
# {{cursor}} and the decoded cursor's fields: {{cursor_v}} (position value),
# {{cursor_k}} (position id), {{cursor_r}}, {{cursor_o}}.
LIST_DEEP_CURSOR_SQL = _list_script("-created_at", after=True)
# {{q}}: one word.
SEARCH_SQL = _list_script("-created_at", q="q")
# {{min_price}}, {{max_price}}; ordering -price.
PRICE_RANGE_SQL = _list_script("-price", min_price="min_price", max_price="max_price")
# {{product_id}}.
AVAILABILITY_ONE_SQL = _availability_script("ARRAY[{{product_id}}]::uuid[]")
# {{product_ids}}: ARRAY['uuid', ...] of 100.
AVAILABILITY_BULK_SQL = _availability_script("{{product_ids}}::uuid[]")
# {{product_id}}, {{warehouse}} (code), {{quantity}}. BEGIN; ... COMMIT; as the
# endpoint's transaction, and INBOUND_EXPLAIN_SQL its main statement.
INBOUND_UPSERT = """
INSERT INTO stock_stock
    (product_id, warehouse_id, on_hand, reserved, min_stock_level, reorder_point,
     created_at, updated_at)
VALUES ({{product_id}}::uuid, (SELECT id FROM products_warehouse WHERE code = {{warehouse}}),
        {{quantity}}, 0, 0, 0, now(), now())
ON CONFLICT (product_id, warehouse_id) DO UPDATE
    SET on_hand = stock_stock.on_hand + excluded.on_hand, updated_at = excluded.updated_at
RETURNING id AS stock_id, product_id AS pid, warehouse_id AS wid, on_hand AS oh,
          reserved AS rs"""
# The endpoint's transaction, statement for statement: product and warehouse
# lookups, the upsert (which takes the row lock), the movement insert, commit.
# pgbench's \gset carries the upsert's RETURNING into the insert.
INBOUND_SQL: str | None = (
    """
BEGIN;
SELECT id FROM products_product WHERE id = {{product_id}}::uuid AND deleted_at IS NULL;
SELECT id FROM products_warehouse WHERE code = {{warehouse}};
"""
    + INBOUND_UPSERT.strip()
    + """ \\gset
INSERT INTO stock_movement
    (type, stock_id, product_id, warehouse_id, on_hand_delta, reserved_delta,
     on_hand_after, reserved_after, reason, reference, created_at)
VALUES ('inbound', :stock_id, {{product_id}}::uuid, :wid, {{quantity}}, 0, :oh, :rs, '', '', now());
COMMIT;
"""
)
INBOUND_EXPLAIN_SQL: str | None = INBOUND_UPSERT


def ceiling(
    script: str | Callable[[], str] | None, explain: str | None = None
) -> SqlCeiling | None:
    return SqlCeiling(script, explain=explain) if script else None


# --- Setups: what the requests spread over --------------------------------------


def row_count(ctx: Context, table: str) -> int:
    """The planner's estimate, else an exact count (never analyzed)."""
    (estimate,) = ctx.query(
        "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)", [table]
    )[0]
    if estimate and estimate > 0:
        return int(estimate)
    return int(ctx.query(f"SELECT count(*) FROM {table}")[0][0])


def sample_percent(ctx: Context) -> float:
    return min(100.0, max(0.01, 100.0 * SAMPLE_ROWS / max(1, row_count(ctx, "products_product"))))


def product_pool(ctx: Context) -> list[str]:
    def compute() -> list[str]:
        ctx.query("SELECT setseed(%s)", [SEED / 100])
        rows = ctx.query(
            "SELECT id FROM products_product WHERE deleted_at IS NULL AND status = 'active' "
            "ORDER BY random() LIMIT %s",
            [POOL],
        )
        return [str(product_id) for (product_id,) in rows]

    return ctx.memo("catalog:product_pool", compute)


def warehouse_codes(ctx: Context) -> list[str]:
    rows = ctx.query("SELECT code FROM products_warehouse WHERE is_active ORDER BY priority, id")
    if not rows:
        raise ScenarioFailed("no active warehouse in the bench database")
    return [code for (code,) in rows]


def one_product_each(ctx: Context) -> list[Variant]:
    return [{"product_id": product_id} for product_id in product_pool(ctx)[:SPREAD]]


def batches_of_products(ctx: Context) -> list[Variant]:
    pool = product_pool(ctx)
    batches = [pool[i : i + BULK] for i in range(0, len(pool) - BULK + 1, BULK)]
    return [{"product_ids": batch} for batch in batches]


def inbound_many_rows(ctx: Context) -> list[Variant]:
    codes = warehouse_codes(ctx)
    products = product_pool(ctx)[:SPREAD]
    ctx.note(f"{len(products)} products x {len(codes)} warehouses, 1 unit per request")
    return [
        {"product_id": product_id, "warehouse": codes[i % len(codes)], "quantity": 1}
        for i, product_id in enumerate(products)
    ]


def inbound_one_row(ctx: Context) -> list[Variant]:
    variant = {"product_id": product_pool(ctx)[0], "warehouse": warehouse_codes(ctx)[0]}
    ctx.note(f"every request on product {variant['product_id']} in {variant['warehouse']}")
    return [{**variant, "quantity": 1}]


def _word_counts(ctx: Context) -> list[tuple[str, int]]:
    """Lexemes of a sample, most frequent first; only plain words that the search
    configuration maps to themselves, so that `?q=word` finds exactly them."""

    def compute() -> list[tuple[str, int]]:
        sample = (
            "SELECT search_vector FROM products_product "
            f"TABLESAMPLE SYSTEM ({sample_percent(ctx):.4f}) REPEATABLE ({SEED})"
        )
        return ctx.query(
            "SELECT word, ndoc FROM ts_stat(%s) "
            "WHERE word ~ '^[a-z]{4,}$' AND to_tsquery(%s, word)::text = quote_literal(word) "
            "ORDER BY ndoc DESC, word",
            [sample, SEARCH_CONFIG],
        )

    return ctx.memo("catalog:word_counts", compute)


def _matching_rows(ctx: Context, word: str) -> int:
    return int(
        ctx.query(
            "SELECT count(*) FROM products_product WHERE deleted_at IS NULL "
            "AND search_vector @@ websearch_to_tsquery(%s, %s)",
            [SEARCH_CONFIG, word],
        )[0][0]
    )


def common_word(ctx: Context) -> list[Variant]:
    words = _word_counts(ctx)
    if not words:
        raise ScenarioFailed("no searchable word in the products")
    word = words[0][0]
    rows = _matching_rows(ctx, word)
    shortfall = "" if rows >= COMMON_WORD_MIN_ROWS else f" (< {COMMON_WORD_MIN_ROWS:,} wanted)"
    ctx.note(f"common word {word!r} matches {rows:,} products{shortfall}")
    return [{"q": word}]


def rare_word(ctx: Context) -> list[Variant]:
    words = _word_counts(ctx)
    if not words:
        raise ScenarioFailed("no searchable word in the products")
    word = words[-1][0]
    ctx.note(f"rare word {word!r} matches {_matching_rows(ctx, word):,} products")
    return [{"q": word}]


def price_band(ctx: Context) -> list[Variant]:
    """The middle tenth of prices (45th to 55th percentile of a sample)."""
    low, high = ctx.query(
        "SELECT percentile_disc(0.45) WITHIN GROUP (ORDER BY price), "
        "percentile_disc(0.55) WITHIN GROUP (ORDER BY price) "
        "FROM products_product TABLESAMPLE SYSTEM (%s) REPEATABLE (%s)",
        [sample_percent(ctx), SEED],
    )[0]
    if low is None:
        raise ScenarioFailed("no product to take prices from")
    ctx.note(f"price band {low} to {high} (about a tenth of the products), ordering -price")
    return [{"min_price": str(low), "max_price": str(high)}]


def decode_cursor(cursor: str) -> dict[str, Any]:
    """The cursor's fields as cursor_<name>, when it is base64 of a JSON object."""
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        return {}
    if not isinstance(payload, dict):
        return {}
    return {f"cursor_{key}": value for key, value in payload.items()}


def deep_cursors(ctx: Context) -> list[Variant]:
    first_kept = DEEP_FROM_PAGE * PAGE_SIZE // WALK_PAGE_SIZE
    path = f"{PRODUCTS}?page_size={WALK_PAGE_SIZE}"
    kept: dict[int, str] = {}  # pages walked -> the cursor of the next row
    walked = 0
    while len(kept) < DEEP_CURSORS:
        next_url = ctx.get_json(path).get("next")
        walked += 1
        if not next_url:
            break
        parts = urlsplit(next_url)
        path = f"{parts.path}?{parts.query}"
        if walked >= first_kept and (walked - first_kept) % DEEP_STRIDE == 0:
            kept[walked] = parse_qs(parts.query)["cursor"][0]
    if not kept:
        raise ScenarioFailed(
            f"the list ends after {walked * WALK_PAGE_SIZE:,} rows; a page {DEEP_FROM_PAGE:,} "
            f"deep needs more than {DEEP_FROM_PAGE * PAGE_SIZE:,}"
        )
    first, last = (n * WALK_PAGE_SIZE // PAGE_SIZE + 1 for n in (min(kept), max(kept)))
    ctx.note(f"{len(kept)} cursors, pages {first:,} to {last:,} of {PAGE_SIZE} rows")
    return [{"cursor": cursor, **decode_cursor(cursor)} for cursor in kept.values()]


def audit(ctx: Context) -> CheckResult:
    """`manage.py audit` on the bench database: the ledger still explains the stock."""
    result = ctx.manage("audit")
    lines = (result.stdout + result.stderr).strip().splitlines()
    return CheckResult(ok=result.returncode == 0, detail=" / ".join(lines[-3:]))


def _inbound(
    name: str, variants: Callable[[Context], Sequence[Variant]], description: str
) -> Scenario:
    return Scenario(
        name=name,
        description=description,
        request=post_json(
            f"{API}/stock/inbound/",
            fields("product_id", "warehouse", "quantity"),
            auth="warehouse_admin",
        ),
        variants=variants,
        levels=(16,),
        ceiling=ceiling(INBOUND_SQL, INBOUND_EXPLAIN_SQL),
        post_check=audit,
    )


SCENARIOS: Sequence[Scenario] = (
    Scenario(
        name="catalog.list.first_page",
        description="First page of the catalog, default ordering (-created_at).",
        request=get(PRODUCTS),
        ceiling=ceiling(LIST_FIRST_PAGE_SQL),
    ),
    Scenario(
        name="catalog.list.deep_cursor",
        description="Pages 1,001 to 1,491 (page_size=20) by cursor.",
        request=get(PRODUCTS, cursor="{cursor}", page_size=str(PAGE_SIZE)),
        variants=deep_cursors,
        ceiling=ceiling(LIST_DEEP_CURSOR_SQL),
    ),
    Scenario(
        name="catalog.search.common_word",
        description=f"Full-text search for a word in >= {COMMON_WORD_MIN_ROWS:,} products.",
        request=get(PRODUCTS, q="{q}"),
        variants=common_word,
        ceiling=ceiling(SEARCH_SQL),
    ),
    Scenario(
        name="catalog.search.rare_word",
        description="Full-text search for a word in a handful of products.",
        request=get(PRODUCTS, q="{q}"),
        variants=rare_word,
        ceiling=ceiling(SEARCH_SQL),
    ),
    Scenario(
        name="catalog.list.price_range",
        description="Price band filter, most expensive first.",
        request=get(PRODUCTS, min_price="{min_price}", max_price="{max_price}", ordering="-price"),
        variants=price_band,
        ceiling=ceiling(PRICE_RANGE_SQL),
    ),
    Scenario(
        name="catalog.availability.one",
        description=f"Availability of one product, {SPREAD:,} products at random.",
        request=get(f"{PRODUCTS}{{product_id}}/availability/"),
        variants=one_product_each,
        pick="random",
        ceiling=ceiling(AVAILABILITY_ONE_SQL),
    ),
    Scenario(
        name="catalog.availability.bulk",
        description=f"Availability of {BULK} products in one request.",
        request=post_json(f"{API}/stock/availability/", fields("product_ids")),
        variants=batches_of_products,
        ceiling=ceiling(AVAILABILITY_BULK_SQL),
    ),
    _inbound(
        "catalog.inbound.many_rows",
        inbound_many_rows,
        f"Inbound of 1 unit, 16 clients over {SPREAD:,} stock rows.",
    ),
    _inbound(
        "catalog.inbound.one_row",
        inbound_one_row,
        "Inbound of 1 unit, 16 clients on one stock row (row-lock contention).",
    ),
)
