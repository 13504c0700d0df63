"""Availability as the API renders it, read and rendered in one step.

Shop frontends ask for it on every product page and for whole carts at once
(up to 500 products). On PostgreSQL one prepared statement reads each product's
rows and renders its JSON (`row_to_json`), in the shape and order of
ProductAvailabilityOutputSerializer; Python only puts the products in the order
asked. Elsewhere (the embedded SQLite of `make run`) the selectors read it and
the serializer renders it. The tests run both on PostgreSQL and hold the two to
the same bytes.
"""

from collections.abc import Iterable
from uuid import UUID

from django.utils import timezone

from apps.core.db import prepared_cursor
from apps.core.errors import NotFound
from apps.core.rendered import dumps
from apps.core.replica import reading_connection

from . import selectors
from .holds.rules import EXPIRED_HOLD_QUANTITY_SQL
from .serializers import ProductAvailabilityOutputSerializer


def availability_get_json(*, product_id: UUID) -> str:
    """A product's availability, as ProductAvailabilityOutputSerializer renders
    it; 404 if the product is not in the catalog."""
    rendered = _rendered([product_id]).get(product_id)
    if rendered is None:
        raise NotFound("Product not found.", details={"product_id": str(product_id)})
    return rendered


def availability_bulk_json(*, product_ids: Iterable[UUID]) -> str:
    """Availability of many products, as BulkAvailabilityOutputSerializer renders
    it: in the order asked (each once), and the ids not in the catalog."""
    wanted = list(dict.fromkeys(product_ids))
    found = _rendered(wanted)
    results = ",".join(found[pid] for pid in wanted if pid in found)
    not_found = dumps([str(pid) for pid in wanted if pid not in found])
    return f'{{"results":[{results}],"not_found":{not_found}}}'


def _rendered(product_ids: list[UUID]) -> dict[UUID, str]:
    """The JSON of the availability of those of `product_ids` in the catalog."""
    if reading_connection().vendor == "postgresql":
        return _rendered_sql(product_ids)
    return _rendered_portable(product_ids)


def _rendered_portable(product_ids: list[UUID]) -> dict[UUID, str]:
    found, _ = selectors.availability_bulk(product_ids=product_ids)
    render = ProductAvailabilityOutputSerializer().to_representation
    return {availability.product_id: dumps(render(availability)) for availability in found}


def availability_sql() -> str:
    """The statement, with parameters %(products)s (uuid[]) and %(now)s. The
    bench's SQL ceiling runs it too."""
    # Each product of the catalog with its totals and its rows in active
    # warehouses by reservation priority (none: zeros and an empty list).
    # string_agg rather than json_agg, which writes ", " between elements.
    # OFFSET 0 keeps `a` a subquery: flattened, each use of a.reserved below
    # would run its lookup of expired lines again.
    return f"""
SELECT p.id, row_to_json(t)::text
  FROM products_product p
  CROSS JOIN LATERAL (
    SELECT p.id AS product_id,
           COALESCE(SUM(a.on_hand), 0)::bigint AS on_hand,
           COALESCE(SUM(a.reserved), 0)::bigint AS reserved,
           COALESCE(SUM(a.on_hand - a.reserved), 0)::bigint AS available,
           ('[' || COALESCE(string_agg(row_to_json(line)::text, ','
                                       ORDER BY a.priority, a.warehouse_id), '')
                || ']')::json AS warehouses
      FROM (SELECT w.priority, s.warehouse_id, w.code, s.on_hand,
                   s.reserved - {EXPIRED_HOLD_QUANTITY_SQL} AS reserved
              FROM stock_stock s
              JOIN products_warehouse w ON w.id = s.warehouse_id AND w.is_active
             WHERE s.product_id = p.id
            OFFSET 0) a
     CROSS JOIN LATERAL (SELECT a.code, a.on_hand, a.reserved,
                                a.on_hand - a.reserved AS available) line
  ) t
 WHERE p.id = ANY(%(products)s) AND p.deleted_at IS NULL
"""


def _rendered_sql(product_ids: list[UUID]) -> dict[UUID, str]:
    with prepared_cursor(reading_connection()) as cursor:
        cursor.execute(availability_sql(), {"products": product_ids, "now": timezone.now()})
        return dict(cursor.fetchall())
