"""Cancel and refund a paid payment: the gateway gives the money back first
(idempotent by the payment's reference), then one transaction returns the
stock, the points and the coupon (services/settle.py). Intent is recorded
before the call (`refund_requested_at`), so a crash between the gateway and
the database is finished by the reconciler; a refusal of the gateway changes
nothing and says so (502 `refund_failed`)."""

from uuid import UUID

from django.db import transaction
from django.utils import timezone

from apps.core.errors import InvalidState, NotFound
from apps.core.roles import Role

from ..errors import RefundFailed
from ..gateway import Answer, GatewayTimeout, Outcome, gateway
from ..models import Payment, PaymentStatus
from .attempts import attempt_record
from .settle import locked, payment_settle_refunded


def refund_at_gateway(payment: Payment) -> Answer | None:
    """Ask for the money back and, once the gateway says it is, settle the
    refund. None when the gateway did not answer (the reconciler asks again)."""
    if payment.amount == 0 or not payment.gateway:
        answer = Answer(Outcome.REFUNDED)
    else:
        try:
            answer = gateway().refund(reference=str(payment.pk), amount=payment.amount)
        except GatewayTimeout as exc:
            attempt_record(payment=payment, operation="refund", answer=None, detail=str(exc))
            return None
        attempt_record(payment=payment, operation="refund", answer=answer)
    if answer.outcome is Outcome.REFUNDED:
        payment_settle_refunded(payment_id=payment.pk)
    return answer


def payment_cancel(*, payment_id: UUID, user, reason: str = "") -> Payment:
    """Refund a paid payment (its owner or staff; anyone else's is a 404). A
    payment not paid (pending, failed, already cancelled) is 409 `invalid_state`."""
    visible = Payment.objects.filter(pk=payment_id)
    if not user.has_role(Role.STAFF):
        visible = visible.filter(user_id=user.pk)
    if not visible.exists():
        raise NotFound("Payment not found.")
    with transaction.atomic():
        payment = locked(payment_id).payment
        if payment.status != PaymentStatus.PAID:
            raise InvalidState(
                "Only a paid payment can be cancelled.", details={"status": payment.status}
            )
        if payment.refund_requested_at is None:
            payment.refund_requested_at = payment.updated_at = timezone.now()
            payment.reason = reason[:255]
            payment.save(update_fields=["refund_requested_at", "reason", "updated_at"])
    answer = refund_at_gateway(payment)
    if answer is None:
        raise RefundFailed(
            "The gateway did not answer; the refund will be retried.",
            details={"reason": "gateway_timeout", "payment_id": str(payment.pk)},
        )
    if answer.outcome is not Outcome.REFUNDED:
        with transaction.atomic():  # nothing changed: the payment stays paid
            held = locked(payment_id).payment
            if held.status == PaymentStatus.PAID:
                held.refund_requested_at, held.updated_at = None, timezone.now()
                held.save(update_fields=["refund_requested_at", "updated_at"])
        raise RefundFailed(details={"reason": answer.detail or answer.outcome.value})
    return Payment.objects.get(pk=payment_id)
