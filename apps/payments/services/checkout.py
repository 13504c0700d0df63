"""Checkout: an order from the caller's reservation, its coupon and points
applied, and its total charged exactly once (docs/architecture.md, "Checkout").

Three steps, and no row lock or transaction is held across the gateway call:

1. One transaction, in the lock order reservation -> coupon issue -> wallet:
   the reservation must be the caller's, pending and in time; the coupon is
   redeemed and the points spent (free first); the order (or, after a
   declined payment, the same order again) and a pending payment are written,
   and the hold is kept alive while the payment is in flight
   (PAYMENT_HOLD_SECONDS). The Idempotency-Key is claimed here and recorded
   as in flight with the payment's id.
2. The gateway call, with the payment's id as its reference (a repeated call
   never charges twice), bounded by PAYMENT_GATEWAY_TIMEOUT_SECONDS.
3. One transaction (services/settle.py): approved -> paid and the hold
   confirmed; declined -> points and coupon back, payment failed, 402.
   No answer -> the payment stays pending and the answer is 202 with the
   order: `payments_reconcile` asks the gateway later and finishes it.

Against a double charge, in depth: the key replays; a short Redis lock per
reservation answers a concurrent second checkout at once (409
`payment_in_progress`, or `already_paid`); the partial unique index allowing
one pending-or-paid payment per reservation is the last guard, and alone
enough (with Redis down, it is what answers).
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.db import violated_constraint
from apps.core.errors import InvalidState, NotFound, ValidationFailed
from apps.core.idempotency import (
    Idempotency,
    idempotency_complete,
    idempotency_seen,
    idempotent_transaction,
)
from apps.coupons.services import coupon_redeem
from apps.points.services import points_use
from apps.reservations.errors import ReservationExpired
from apps.stock.holds.rules import hold_expired
from apps.stock.holds.services import hold_extend
from apps.stock.locks import reservation_lock
from apps.stock.models import ReservationLine, ReservationStatus

from ..errors import AlreadyPaid, PaymentDeclined, PaymentInProgress
from ..gateway import Answer, GatewayTimeout, Outcome, gateway
from ..locks import checkout_lock
from ..models import (
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
)
from ..selectors import order_get_any
from .attempts import attempt_record
from .refund import refund_at_gateway
from .settle import payment_settle_failed, payment_settle_paid

ONE_PAYMENT_PER_RESERVATION = "payment_one_pending_or_paid_per_reservation"


@dataclass(frozen=True, slots=True)
class Checkout:
    """What the caller asks: a reservation of theirs, paid by `method`."""

    reservation_id: UUID
    method: PaymentMethod
    coupon_code: str | None = None
    points: int = 0
    payment_token: str | None = None


@dataclass(frozen=True, slots=True)
class CheckedOut:
    """The order as the checkout left it; `unknown` when the gateway's answer
    is not known yet (202: the reconciler finishes it). A bank transfer the
    gateway accepted is known: pending until its webhook says the money came."""

    order: Order
    unknown: bool = False


def order_checkout(
    *, user, checkout: Checkout, idempotency: Idempotency | None = None
) -> CheckedOut:
    """The three steps (module docstring)."""
    # A retry of a known key is the key's to answer (replay, mismatch or
    # in flight), not the Redis lock's.
    if idempotency is not None and idempotency_seen(idempotency):
        return _steps(user, checkout, idempotency)
    with checkout_lock(reservation_id=checkout.reservation_id) as free:
        if not free:
            _refuse_concurrent(user, checkout.reservation_id)
        return _steps(user, checkout, idempotency)


def _steps(user, checkout: Checkout, idempotency: Idempotency | None) -> CheckedOut:
    payment = _begin_or_replay(user, checkout, idempotency)
    if isinstance(payment, CheckedOut):  # a replay: nothing happens twice
        return payment
    try:
        answer = _charge(payment, checkout.payment_token)
    except GatewayTimeout:
        _complete(idempotency)
        return CheckedOut(_order(payment.order_id), unknown=True)
    return _settle(payment, answer, idempotency)


def _refuse_concurrent(user, reservation_id: UUID) -> None:
    paid = Payment.objects.filter(
        reservation_id=reservation_id, user_id=user.pk, status=PaymentStatus.PAID
    ).exists()
    raise AlreadyPaid() if paid else PaymentInProgress()


def _order(order_id: UUID) -> Order:
    return order_get_any(order_id=order_id)


def _complete(idempotency: Idempotency | None, refusal=None) -> None:
    if idempotency is not None:
        with transaction.atomic():
            idempotency_complete(idempotency, refusal=refusal)


def _begin_or_replay(
    user, checkout: Checkout, idempotency: Idempotency | None
) -> Payment | CheckedOut:
    """Step 1 with the key claimed: the new pending payment, or, for a key
    already used, what that request left (the order, to be answered again)."""
    with idempotent_transaction(idempotency) as claim:
        if claim.result_id is not None:
            payment = Payment.objects.get(pk=claim.result_id)
            return CheckedOut(_order(payment.order_id))
        payment = _begin(user, checkout)
        claim.started(payment.pk)
    return payment


def _begin(user, checkout: Checkout) -> Payment:
    """Step 1, inside the caller's transaction."""
    reservation = reservation_lock(reservation_id=checkout.reservation_id)
    if reservation is None or reservation.user_id != user.pk:
        raise NotFound("Reservation not found.")
    order = Order.objects.filter(reservation=reservation).first()
    if order is not None and order.status in (OrderStatus.PAID, OrderStatus.REFUNDED):
        raise AlreadyPaid(details={"order_id": str(order.pk)})
    if order is not None and order.status == OrderStatus.PENDING_PAYMENT:
        raise PaymentInProgress(details={"order_id": str(order.pk)})
    now = timezone.now()
    if reservation.status != ReservationStatus.PENDING or hold_expired(reservation.expires_at, now):
        if reservation.status == ReservationStatus.CONFIRMED:
            raise InvalidState(
                "The reservation was confirmed without an order.",
                details={"status": reservation.status},
            )
        raise ReservationExpired(details={"expires_at": reservation.expires_at.isoformat()})
    lines = list(
        ReservationLine.objects.filter(reservation=reservation, pending=True).order_by("pk")
    )
    if order is None:
        order = Order(
            user_id=user.pk,
            reservation=reservation,
            subtotal=sum((line.unit_price * line.quantity for line in lines), Decimal("0")),
            created_at=now,
        )
    _price(order, user, checkout, lines)
    order.status = OrderStatus.PENDING_PAYMENT
    order.updated_at = now
    if order._state.adding:
        order.save(force_insert=True)
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                product_id=line.product_id,
                warehouse_id=line.warehouse_id,
                quantity=line.quantity,
                unit_price=line.unit_price,
                line_total=line.unit_price * line.quantity,
            )
            for line in lines
        )
    else:
        order.save()
    payment = Payment(
        order=order,
        reservation=reservation,
        user_id=user.pk,
        amount=order.total,
        method=checkout.method,
        gateway=gateway().name if order.total else "",
        hold_expires_at=reservation.expires_at,
        created_at=now,
    )
    try:
        with transaction.atomic():
            payment.save(force_insert=True)
    except IntegrityError as exc:  # the last guard: another payment got here first
        if violated_constraint(exc) == ONE_PAYMENT_PER_RESERVATION:
            raise PaymentInProgress() from exc
        raise
    # Keep the hold while the payment is in flight; a decline gives it back
    # the expiry it had.
    keep_until = now + timedelta(seconds=settings.PAYMENT_HOLD_SECONDS)
    if keep_until > reservation.expires_at:
        hold_extend(reservation=reservation, expires_at=keep_until, now=now)
    return payment


def _price(order: Order, user, checkout: Checkout, lines: list[ReservationLine]) -> None:
    """The coupon's discount (never above the subtotal) and the points (never
    above what is left), each taken from the shopper's wallet under its lock."""
    order.coupon_issue, order.coupon_discount = None, Decimal("0")
    if checkout.coupon_code:
        per_product: dict[UUID, Decimal] = {}
        for line in lines:
            per_product[line.product_id] = (
                per_product.get(line.product_id, Decimal("0")) + line.unit_price * line.quantity
            )
        redemption = coupon_redeem(
            code=checkout.coupon_code,
            user_id=user.pk,
            order_id=order.pk,
            amount=order.subtotal,
            product_amounts=per_product,
        )
        order.coupon_issue = redemption.issue
        order.coupon_discount = min(redemption.discount, order.subtotal)
    due = order.subtotal - order.coupon_discount
    points = checkout.points
    if checkout.method == PaymentMethod.POINTS:
        if due != due.to_integral_value():
            raise ValidationFailed(
                details={"payment_method": ["The total is not a whole number of points."]}
            )
        points = points or int(due)
        if points != due:
            raise ValidationFailed(details={"points": ["Paying by points spends the total."]})
    if points > due:
        raise ValidationFailed(
            details={"points": [f"More than the order's total after the coupon ({due:.2f})."]}
        )
    order.points_used, order.points_entry = points, None
    if points:
        order.points_entry = points_use(
            user_id=user.pk,
            amount=points,
            description=f"Order {order.pk}",
            order_id=str(order.pk),
            for_order=True,
        )
    order.total = due - points


def _charge(payment: Payment, token: str | None) -> Answer:
    """Step 2: outside any transaction. An order with nothing left to pay
    (points and coupon cover it) asks no gateway."""
    if payment.amount == 0:
        return Answer(Outcome.APPROVED)
    try:
        answer = gateway().charge(
            reference=str(payment.pk), amount=payment.amount, method=payment.method, token=token
        )
    except GatewayTimeout as exc:
        attempt_record(payment=payment, operation="charge", answer=None, detail=str(exc))
        raise
    attempt_record(payment=payment, operation="charge", answer=answer)
    return answer


def _settle(payment: Payment, answer: Answer, idempotency: Idempotency | None) -> CheckedOut:
    """Step 3."""
    if answer.outcome is Outcome.DECLINED:
        payment_settle_failed(payment_id=payment.pk, reason=answer.detail or "declined")
        refusal = PaymentDeclined(details={"order_id": str(payment.order_id)})
        _complete(idempotency, refusal)
        raise refusal
    if answer.outcome is Outcome.APPROVED:
        paid = payment_settle_paid(
            payment_id=payment.pk, gateway_reference=answer.gateway_reference
        )
        if paid.refund_requested_at is not None:  # the hold was lost meanwhile
            refund_at_gateway(paid)
            refusal = ReservationExpired(
                "The hold expired before the payment came; the payment was refunded.",
                details={"order_id": str(payment.order_id)},
            )
            _complete(idempotency, refusal)
            raise refusal
    else:  # pending: a bank transfer, until the gateway's webhook
        Payment.objects.filter(pk=payment.pk, gateway_reference="").update(
            gateway_reference=answer.gateway_reference
        )
    _complete(idempotency)
    order = _order(payment.order_id)
    return CheckedOut(order)
