"""The gateway's webhooks: signed events about our payments, each applied once.

A request carries `Webhook-Timestamp` (Unix seconds) and `Webhook-Signature`
(`v1=` and the hex HMAC-SHA256, keyed by PAYMENT_WEBHOOK_SECRET, of the
timestamp, a dot and the raw body). A missing or wrong signature, or a
timestamp more than PAYMENT_WEBHOOK_TOLERANCE_SECONDS away, is 400
`invalid_signature` and changes nothing. The body:
``{"id": "evt_..", "type": "charge.succeeded" | "charge.failed" | "charge.refunded",
"data": {"reference": "<our payment id>"}}``.

Each event id is stored once per gateway (a unique index): a replay, or the
same event twice at once, is answered 200 and applied once. Events arriving
out of order are harmless: each ends a payment only from the state it expects
(services/settle.py), and one that finds the payment elsewhere is recorded as
ignored.
"""

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.errors import NotFound, ValidationFailed

from ..errors import InvalidSignature
from ..gateway import gateway
from ..models import Payment, WebhookEvent
from .refund import refund_at_gateway
from .settle import payment_settle_failed, payment_settle_paid, payment_settle_refunded

TIMESTAMP_HEADER = "Webhook-Timestamp"
SIGNATURE_HEADER = "Webhook-Signature"
EVENT_TYPES = ("charge.succeeded", "charge.failed", "charge.refunded")


def webhook_signature(*, body: bytes, timestamp: int, secret: str | None = None) -> str:
    key = (secret if secret is not None else settings.PAYMENT_WEBHOOK_SECRET).encode()
    mac = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={mac.hexdigest()}"


def signed_headers(body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
    """The headers a gateway sends with `body` (the fake gateway's, and tests')."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: webhook_signature(body=body, timestamp=timestamp),
    }


def _verify(body: bytes, headers) -> None:
    timestamp, signature = headers.get(TIMESTAMP_HEADER), headers.get(SIGNATURE_HEADER)
    if not timestamp or not signature or not timestamp.isdigit() or len(timestamp) > 12:
        raise InvalidSignature()
    if abs(time.time() - int(timestamp)) > settings.PAYMENT_WEBHOOK_TOLERANCE_SECONDS:
        raise InvalidSignature("The webhook's timestamp is outside the tolerance.")
    expected = webhook_signature(body=body, timestamp=int(timestamp))
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise InvalidSignature()


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    type: str
    reference: UUID


def _parse(body: bytes) -> Event:
    try:
        payload = json.loads(body)
        event_id, event_type = payload["id"], payload["type"]
        reference = UUID(payload["data"]["reference"])
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ValidationFailed(
            "Not an event: {id, type, data: {reference}} expected.",
            details={"body": ["Not an event of this gateway."]},
        ) from exc
    if not isinstance(event_id, str) or not 0 < len(event_id) <= 255:
        raise ValidationFailed(details={"id": ["1-255 characters."]})
    if event_type not in EVENT_TYPES:
        raise ValidationFailed(details={"type": [f"One of {', '.join(EVENT_TYPES)}."]})
    return Event(event_id, event_type, reference)


@dataclass(frozen=True, slots=True)
class Applied:
    applied: bool  # False: this event was applied before
    outcome: str


def webhook_receive(*, gateway_name: str, body: bytes, headers) -> Applied:
    if gateway_name != gateway().name:
        raise NotFound("No such gateway.")
    _verify(body, headers)
    event = _parse(body)
    payment = Payment.objects.filter(pk=event.reference).first()
    if payment is None:
        raise NotFound("No payment with this reference.")
    try:
        with transaction.atomic():
            record = WebhookEvent.objects.create(
                gateway=gateway_name,
                event_id=event.id,
                type=event.type,
                payment=payment,
                payload=json.loads(body),
                received_at=timezone.now(),
            )
            settled = _apply(event, payment)
            record.outcome = f"payment {settled.status}"
            record.save(update_fields=["outcome"])
    except IntegrityError:
        earlier = WebhookEvent.objects.filter(gateway=gateway_name, event_id=event.id).first()
        if earlier is None:
            raise
        return Applied(False, earlier.outcome)
    if settled.refund_requested_at is not None and settled.refunded_at is None:
        refund_at_gateway(settled)  # the money came after the hold was lost
    return Applied(True, record.outcome)


def _apply(event: Event, payment: Payment) -> Payment:
    if event.type == "charge.succeeded":
        return payment_settle_paid(payment_id=payment.pk)
    if event.type == "charge.failed":
        return payment_settle_failed(payment_id=payment.pk, reason="failed (gateway webhook)")
    return payment_settle_refunded(payment_id=payment.pk)
