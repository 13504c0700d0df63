"""The end of a payment, decided under its reservation's lock: paid (the hold
is confirmed, its units leave on_hand), failed (the points and the coupon go
back, the hold is left as it was), or, once paid, refunded. Shared by the
checkout's third step, the reconciler and the gateway's webhooks, so a payment
ends once whichever of them gets there first: each re-reads it under the lock
and leaves a payment that is no longer pending as it is."""

from contextlib import suppress
from dataclasses import dataclass
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from apps.coupons.services import coupon_release
from apps.points.errors import AlreadyCancelled
from apps.points.services import points_cancel
from apps.stock.holds.services import hold_extend, holds_release
from apps.stock.holds.store import CONFIRMED
from apps.stock.locks import reservation_lock
from apps.stock.models import Reservation, ReservationStatus
from apps.stock.services import stock_return_reservation

from ..locks import payment_lock
from ..models import Order, OrderStatus, Payment, PaymentStatus


@dataclass(slots=True)
class Locked:
    reservation: Reservation
    payment: Payment
    order: Order


def locked(payment_id: UUID) -> Locked:
    """The payment and its reservation, locked in the global order: the
    reservation first. Call inside a transaction."""
    reservation_id = Payment.objects.values_list("reservation_id", flat=True).get(pk=payment_id)
    reservation = reservation_lock(reservation_id=reservation_id)
    payment = payment_lock(payment_id=payment_id)
    order = Order.objects.select_related("user").get(pk=payment.order_id)
    payment.order = order
    return Locked(reservation, payment, order)


def give_back(order: Order) -> None:
    """The points and the coupon the order took go back to the shopper's wallet
    (a coupon whose window has closed comes back expired). Harmless twice."""
    if order.points_entry_id is not None:
        with suppress(AlreadyCancelled):
            points_cancel(entry_id=order.points_entry_id, user=order.user, for_order=True)
    if order.coupon_issue_id is not None:
        coupon_release(issue_id=order.coupon_issue_id, order_id=order.pk)


def _stamp(instance, now, **changes) -> None:
    for field, value in changes.items():
        setattr(instance, field, value)
    instance.updated_at = now
    instance.save(update_fields=[*changes, "updated_at"])


def payment_settle_paid(*, payment_id: UUID, gateway_reference: str = "") -> Payment:
    """The gateway says the money is ours. The hold is confirmed; if it was lost
    meanwhile (expired and swept before the money came), there is nothing to
    sell: the payment fails and its refund is asked for (`refund_requested_at`:
    the caller, or else the reconciler, asks the gateway)."""
    with transaction.atomic():
        held = locked(payment_id)
        payment, order = held.payment, held.order
        if payment.status != PaymentStatus.PENDING:
            return payment
        now = timezone.now()
        if held.reservation.status != ReservationStatus.PENDING:
            _fail(held, now, reason="hold_lost")
            _stamp(payment, now, refund_requested_at=now)
            return payment
        holds_release(reservations=[held.reservation], ending=CONFIRMED, now=now)
        _stamp(
            payment,
            now,
            status=PaymentStatus.PAID,
            paid_at=now,
            gateway_reference=gateway_reference or payment.gateway_reference,
        )
        _stamp(order, now, status=OrderStatus.PAID, paid_at=now)
    return payment


def payment_settle_failed(*, payment_id: UUID, reason: str) -> Payment:
    """Nothing was charged: points and coupon go back, the hold keeps the expiry
    it had before the payment kept it alive (the shopper may try again until
    then), and the order waits for another payment at its undiscounted price."""
    with transaction.atomic():
        held = locked(payment_id)
        if held.payment.status == PaymentStatus.PENDING:
            now = timezone.now()
            _fail(held, now, reason=reason)
            if held.reservation.status == ReservationStatus.PENDING:
                hold_extend(
                    reservation=held.reservation,
                    expires_at=min(held.payment.hold_expires_at, held.reservation.expires_at),
                    now=now,
                )
    return held.payment


def _fail(held: Locked, now, *, reason: str) -> None:
    order = held.order
    give_back(order)
    _stamp(held.payment, now, status=PaymentStatus.FAILED, failed_at=now, reason=reason[:255])
    _stamp(
        order,
        now,
        status=OrderStatus.PAYMENT_FAILED,
        coupon_issue=None,
        coupon_discount=0,
        points_used=0,
        points_entry=None,
        total=order.subtotal,
    )


def payment_settle_refunded(*, payment_id: UUID) -> Payment:
    """The gateway gave the money back: the units return to stock (`return`
    movements), the points and the coupon go back, the payment is cancelled and
    the order refunded. Once: a payment no longer paid is left as it is."""
    with transaction.atomic():
        held = locked(payment_id)
        payment, order = held.payment, held.order
        if payment.status != PaymentStatus.PAID:
            if payment.refund_requested_at and not payment.refunded_at:
                _stamp(payment, timezone.now(), refunded_at=timezone.now())  # a lost hold's refund
            return payment
        now = timezone.now()
        stock_return_reservation(
            reservation=held.reservation, now=now, reference=f"refund of order {order.pk}"
        )
        give_back(order)
        _stamp(payment, now, status=PaymentStatus.CANCELLED, cancelled_at=now, refunded_at=now)
        _stamp(order, now, status=OrderStatus.REFUNDED, refunded_at=now)
    return payment
