"""Bank transfers: pending until the gateway's signed webhook says the money
came; each event applied once, in any order; a forgery changes nothing."""

import json
import time

import pytest

from apps.ledger.models import StockMovement
from apps.points.selectors import points_balance_get
from apps.reservations.services import reservation_expire_due
from apps.stock.models import Reservation, Stock

from ..gateway import FakeGateway
from ..models import Order, Payment, WebhookEvent
from ..services.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, signed_headers
from .helpers import charges, make_due, points_for, shop_with_hold

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/payments/webhooks/fake/"


def _transfer(shop, **fields) -> Payment:
    response = shop.client.post(
        "/api/v1/orders/", shop.body(payment_method="bank_transfer", **fields), format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["payment"]["status"]) == ("pending_payment", "pending")
    return Payment.objects.get()


def _event(payment, event_type="charge.succeeded", event_id="evt_1") -> bytes:
    return json.dumps(
        {"id": event_id, "type": event_type, "data": {"reference": str(payment.pk)}}
    ).encode()


def _send(client, body: bytes, headers: dict | None = None):
    headers = signed_headers(body) if headers is None else headers
    return client.post(
        URL,
        body,
        content_type="application/json",
        **{f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()},
    )


def test_a_transfer_is_paid_when_the_webhook_says_the_money_came(api_client):
    shop = shop_with_hold()
    payment = _transfer(shop)
    assert Reservation.objects.get().status == "pending"
    assert FakeGateway.transfer_arrived(reference=str(payment.pk))
    response = _send(api_client, _event(payment))
    assert response.status_code == 200, response.content
    assert response.json() == {"applied": True, "outcome": "payment paid"}
    assert Order.objects.get().status == "paid"
    assert Reservation.objects.get().status == "confirmed"
    # the same event again: 200, applied once
    again = _send(api_client, _event(payment))
    assert again.json() == {"applied": False, "outcome": "payment paid"}
    assert WebhookEvent.objects.count() == 1 and charges() == 1


def test_a_late_failure_after_success_changes_nothing(api_client):
    shop = shop_with_hold()
    payment = _transfer(shop)
    FakeGateway.transfer_arrived(reference=str(payment.pk))
    _send(api_client, _event(payment))
    late = _send(api_client, _event(payment, "charge.failed", "evt_2"))
    assert late.json() == {"applied": True, "outcome": "payment paid"}
    assert Payment.objects.get().status == "paid"


def test_a_failed_transfer_gives_everything_back(api_client):
    shop = shop_with_hold()
    payment = _transfer(shop)
    response = _send(api_client, _event(payment, "charge.failed"))
    assert response.json()["outcome"] == "payment failed"
    assert Order.objects.get().status == "payment_failed"
    assert Reservation.objects.get().status == "pending"


@pytest.mark.parametrize(
    "forge",
    [
        lambda body: {},  # unsigned
        lambda body: {TIMESTAMP_HEADER: str(int(time.time())), SIGNATURE_HEADER: "v1=00"},
        lambda body: signed_headers(body + b" "),  # signed another body
        lambda body: signed_headers(body, timestamp=int(time.time()) - 301),  # too old
        lambda body: {**signed_headers(body), TIMESTAMP_HEADER: "abc"},
    ],
)
def test_a_forged_or_stale_event_is_refused_and_changes_nothing(api_client, forge):
    shop = shop_with_hold()
    payment = _transfer(shop)
    body = _event(payment)
    response = _send(api_client, body, forge(body))
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_signature")
    assert Payment.objects.get().status == "pending" and not WebhookEvent.objects.exists()


def test_not_an_event_or_an_unknown_payment_or_gateway(api_client):
    shop = shop_with_hold()
    payment = _transfer(shop)
    assert _send(api_client, b"[1, 2]").status_code == 400
    assert _send(api_client, _event(payment, "charge.exploded")).status_code == 400
    other = json.dumps(
        {"id": "e", "type": "charge.failed", "data": {"reference": str(shop.reservation.pk)}}
    )
    assert _send(api_client, other.encode()).status_code == 404
    body = _event(payment)
    wrong = api_client.post(
        "/api/v1/payments/webhooks/stripe/", body, content_type="application/json"
    )
    assert wrong.status_code == 404
    assert Payment.objects.get().status == "pending"


def test_money_that_comes_after_the_hold_expired_is_refunded(api_client):
    """The shopper's transfer takes longer than the hold is kept: the sweeper
    gives the units back; when the money comes there is nothing to sell, so the
    payment fails and the money goes back to the shopper (refunded by design)."""
    shop = shop_with_hold(price="25.00", quantity=4, units=10)
    points_for(shop.user, free=10)
    payment = _transfer(shop, points=10)
    make_due(shop.reservation)
    assert reservation_expire_due() == 1
    assert Reservation.objects.get().status == "expired"
    assert FakeGateway.transfer_arrived(reference=str(payment.pk))
    response = _send(api_client, _event(payment))
    assert response.status_code == 200, response.content
    assert response.json() == {"applied": True, "outcome": "payment failed"}
    payment.refresh_from_db()
    assert payment.status == "failed" and payment.reason == "hold_lost"
    assert payment.refund_requested_at and payment.refunded_at
    assert charges(status="refunded") == 1 and charges(status="approved") == 0
    assert Order.objects.get().status == "payment_failed"
    assert points_balance_get(user_id=shop.user.pk).free == 10  # the points came back
    stock = Stock.objects.all()
    assert (sum(s.on_hand for s in stock), sum(s.reserved for s in stock)) == (10, 0)
    assert not StockMovement.objects.filter(type="confirm").exists()
    # the gateway tells us again: applied once, nothing moves
    again = _send(api_client, _event(payment))
    assert again.json() == {"applied": False, "outcome": "payment failed"}
    assert charges(status="refunded") == 1
