"""Reservations for tests, made through the service (stock, lines and ledger
agree), the helpers that move them in time or race them, and the API's path."""

import itertools
import threading
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from apps.accounts.tests.helpers import UserFactory
from apps.reservations.services import LineRequest, reservation_create
from apps.stock.models import Reservation, ReservationLine
from apps.stock.selectors import availability_get

RESERVATIONS = "/api/v1/reservations/"

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


def make_due(reservation: Reservation) -> None:
    """Move a hold's expiry into the past (reservation and lines together)."""
    past = timezone.now() - timedelta(seconds=1)
    Reservation.objects.filter(pk=reservation.pk).update(expires_at=past)
    ReservationLine.objects.filter(reservation_id=reservation.pk).update(expires_at=past)


class Competitor:
    """A call run in its own thread (with its own connection); start it with
    `thread.start()`. `result()` waits for it and answers its return value or
    the exception it raised."""

    def __init__(self, call) -> None:
        self.outcome: list = []
        self.thread = threading.Thread(target=self._run, args=(call,))

    def _run(self, call) -> None:
        try:
            self.outcome.append(call())
        except Exception as exc:
            self.outcome.append(exc)
        finally:
            connection.close()

    def result(self):
        self.thread.join(10)
        assert self.outcome, "the competing call did not finish"
        return self.outcome[0]


def post_reservation(client, product, quantity, order_id="o-1", key=None, **extra):
    """POST one line of `product` to the reservations API (with an Idempotency-Key
    when `key` is given)."""
    body = {
        "order_id": order_id,
        "lines": [{"product_id": str(product.pk), "quantity": quantity}],
        **extra,
    }
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(RESERVATIONS, body, format="json", **headers)


def available_units(product) -> int:
    """The product's available units, as the availability API reads them."""
    return availability_get(product_id=product.pk).available
