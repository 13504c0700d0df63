"""The catalog's list pages, read and rendered in one step.

A page of /api/v1/products/ is the most requested read of the platform. On
PostgreSQL one statement selects the page and renders each row's JSON
(`row_to_json`, with times and money written as ProductOutputSerializer writes
them); Python joins the rows into the response. No model instance, no value
converted to Python and back, no query compiled by the ORM. A page without
filters, the shape that browsing by cursor repeats at every depth, is a
prepared statement; a filtered one is planned for its values (a rare word and a
common one, a narrow price band and a wide one, want different plans).

Elsewhere (the embedded SQLite of `make run`) the ORM reads the page and the
serializer renders it. The tests run both on PostgreSQL and hold the two to the
same bytes.
"""

from django.db.models import DateTimeField, DecimalField, Field

from apps.core.db import prepared_cursor
from apps.core.pagination import JsonRow, Keyset
from apps.core.replica import reading_connection

from .models import Product
from .selectors import SEARCH_CONFIG, product_list
from .serializers import PRODUCT_FIELDS, ProductOutputSerializer


def product_page(
    keyset: Keyset,
    *,
    q: str | None = None,
    status: str | None = None,
    min_price=None,
    max_price=None,
    sku: str | None = None,
) -> list[JsonRow]:
    """The catalog's page at `keyset`, filtered as `product_list`, rendered."""
    filters = {"status": status, "min_price": min_price, "max_price": max_price, "sku": sku}
    if q is not None and q.strip():
        filters["q"] = q.strip()
    if reading_connection().vendor == "postgresql":
        return _page_sql(keyset, filters)
    return _page_portable(keyset, filters)


def _page_portable(keyset: Keyset, filters: dict) -> list[JsonRow]:
    render = ProductOutputSerializer().to_representation
    rows = keyset.apply(product_list(**filters).values(*PRODUCT_FIELDS))
    return [keyset.json_row(row, render(row)) for row in rows]


# --- PostgreSQL -------------------------------------------------------------------

# Each filter, with the placeholder of its value.
_FILTERS = {
    "q": f"p.search_vector @@ websearch_to_tsquery('{SEARCH_CONFIG}', %s)",
    "status": "p.status = %s",
    "min_price": "p.price >= %s",
    "max_price": "p.price <= %s",
    "sku": "p.sku = %s",
}
# Filters whose best plan does not depend on the value: an equality on a unique
# column. A page filtered by none but these is prepared, and planned once with
# its values unknown (apps/core/db.py): EXPLAIN of those generic plans on
# 1,000,000 products shows each ordering's (field, id) index read in order from
# the position on, with or without a cursor, and the sku's unique index.
_PLAN_INDEPENDENT = {"sku"}


def _iso_time(column: str, utc: str) -> str:
    """`column` (timestamptz) as Python's isoformat() writes it in UTC: six
    digits of microseconds, none when there are none; `utc` for the offset."""
    whole = f'\'YYYY-MM-DD"T"HH24:MI:SS"{utc}"\''
    fraction = f'\'YYYY-MM-DD"T"HH24:MI:SS.US"{utc}"\''
    return (
        f"to_char({column} AT TIME ZONE 'UTC', CASE WHEN date_trunc('second', {column}) = "
        f"{column} THEN {whole} ELSE {fraction} END)"
    )


def _position_sql(field: Field, column: str) -> str:
    """The ordering value as apps.core.pagination.position_text writes it."""
    if isinstance(field, DateTimeField):
        return _iso_time(column, "+00:00")
    if isinstance(field, DecimalField):
        return f"{column}::text"  # numeric(12,2) prints its two places, as str(Decimal)
    return column


def _rendered_sql() -> str:
    """ProductOutputSerializer's fields, from the page's row `p`, for row_to_json
    (compact, in this order; strings escaped as json.dumps escapes them)."""
    columns = []
    for name in PRODUCT_FIELDS:
        field = Product._meta.get_field(name)
        column = f"p.{field.column}"
        if isinstance(field, DateTimeField):
            column = _iso_time(column, "Z")  # apps.core.fields.iso_datetime
        elif isinstance(field, DecimalField):
            column = f"{column}::text"  # apps.core.fields.money: two places
        columns.append(f"{column} AS {name}")
    return ", ".join(columns)


_RENDERED = _rendered_sql()
_SELECTED = ", ".join(Product._meta.get_field(name).column for name in PRODUCT_FIELDS)


def page_statement(keyset: Keyset, filters: dict) -> tuple[str, list, bool]:
    """The statement of a page on PostgreSQL: its SQL, its parameters, and
    whether it is prepared (planned once). The bench's SQL ceiling runs it too."""
    conditions, params = ["p.deleted_at IS NULL"], []
    for name, value in filters.items():
        if value is not None:
            conditions.append(_FILTERS[name])
            params.append(value)
    after, after_params = keyset.where_sql("p")
    if after:
        conditions.append(after)
    field = Product._meta.get_field(keyset.field)
    sql = f"""
SELECT {_position_sql(field, "p." + keyset.column)}, p.id::text, row_to_json(r)::text
  FROM (SELECT {_SELECTED} FROM products_product p
         WHERE {" AND ".join(conditions)}
         ORDER BY {keyset.order_sql("p")}
         LIMIT %s) p
 CROSS JOIN LATERAL (SELECT {_RENDERED}) r
 ORDER BY {keyset.order_sql("p")}"""
    planned_once = not any(
        value is not None and name not in _PLAN_INDEPENDENT for name, value in filters.items()
    )
    return sql, [*params, *after_params, keyset.limit], planned_once


def _page_sql(keyset: Keyset, filters: dict) -> list[JsonRow]:
    sql, params, planned_once = page_statement(keyset, filters)
    connection = reading_connection()
    with prepared_cursor(connection) if planned_once else connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [JsonRow(*row) for row in cursor.fetchall()]
