"""Reservations for tests, made through the service (stock, lines and ledger agree)."""

import itertools

from apps.accounts.tests.factories import UserFactory
from apps.reservations.services import LineRequest, reservation_create

_orders = itertools.count(1)


def reserve(product, quantity: int, *, warehouse=None, user=None, ttl_seconds=None):
    return reservation_create(
        user_id=(user or UserFactory()).pk,
        order_id=f"order-{next(_orders)}",
        lines=[
            LineRequest(
                product_id=product.pk,
                quantity=quantity,
                warehouse_code=warehouse.code if warehouse else None,
            )
        ],
        ttl_seconds=ttl_seconds,
    )
