"""The rule "on sale" in its three languages (apps/products/rules.py), held
equal case by case: Python's not_on_sale_reason, the ORM's on_sale_q and SQL's
products_on_sale."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from apps.products.models import Product
from apps.products.rules import ON_SALE_SQL, not_on_sale_reason, on_sale_q

from .helpers import ProductFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)

# status, deleted, sale starts, sale ends -> why not on sale (None: on sale)
CASES = [
    ("active", False, None, None, None),
    ("inactive", False, None, None, "status is inactive"),
    ("active", True, None, None, "deleted"),
    ("active", False, NOW, None, None),
    ("active", False, NOW + TICK, None, "sale has not started"),
    ("active", False, NOW - TICK, None, None),
    ("active", False, None, NOW, "sale has ended"),
    ("active", False, None, NOW + TICK, None),
    ("active", False, None, NOW - TICK, "sale has ended"),
    ("active", False, NOW - TICK, NOW + TICK, None),
    ("inactive", False, NOW + TICK, None, "status is inactive"),
    ("active", True, NOW - TICK, NOW + TICK, "deleted"),
]


@pytest.mark.parametrize(("status", "deleted", "starts", "ends", "why_not"), CASES)
def test_on_sale_is_one_rule_in_python_orm_and_sql(status, deleted, starts, ends, why_not):
    product = ProductFactory(
        status=status,
        sale_starts_at=starts,
        sale_ends_at=ends,
        deleted_at=NOW - timedelta(days=1) if deleted else None,
    )
    on_sale = why_not is None
    if not deleted:  # Python's rule is asked of products found, never of deleted ones
        assert not_on_sale_reason(product, NOW) == why_not
    assert Product.objects.filter(on_sale_q(NOW), pk=product.pk).exists() is on_sale
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {ON_SALE_SQL}(deleted_at, status, sale_starts_at, sale_ends_at, %s)"
            " FROM products_product WHERE id = %s",
            [NOW, product.pk],
        )
        assert cursor.fetchone() == (on_sale,)
