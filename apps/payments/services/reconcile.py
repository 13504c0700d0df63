"""The reconciler (beat, `payments_reconcile`): what a request could not
finish, because the gateway did not answer in time or the process died between
the gateway and the database, it finishes by asking the gateway.

- A payment pending for longer than PAYMENT_RECONCILE_AFTER_SECONDS: the
  gateway's record of the charge (looked up by our reference) decides. Charged:
  paid, the hold confirmed. Declined, refunded or no charge at all: failed,
  points and coupon back. A bank transfer still on its way is left pending.
- A refund asked for but not settled (a lost answer): asked again (refunds
  are idempotent by reference) and settled.

Every step is the same one the request would have taken (services/settle.py,
under the reservation's lock), so a request finishing at the same moment and
the reconciler end the payment once. A request's Idempotency-Key left in
flight is then completed, so its retry replays.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from apps.core.idempotency import idempotency_complete_result

from ..gateway import GatewayTimeout, Outcome, gateway
from ..models import Payment, PaymentStatus
from .attempts import attempt_record
from .refund import refund_at_gateway
from .settle import payment_settle_failed, payment_settle_paid


@dataclass
class Reconciled:
    paid: int = 0
    failed: int = 0
    refunded: int = 0
    still_pending: int = 0
    unanswered: int = 0


def payments_reconcile(*, older_than: timedelta | None = None, limit: int = 500) -> Reconciled:
    after = (
        older_than
        if older_than is not None
        else timedelta(seconds=settings.PAYMENT_RECONCILE_AFTER_SECONDS)
    )
    before = timezone.now() - after
    done = Reconciled()
    pending = Payment.objects.filter(status=PaymentStatus.PENDING, created_at__lte=before)
    for payment in pending.order_by("created_at")[:limit]:
        _reconcile_charge(payment, done)
    unrefunded = Payment.objects.filter(
        refund_requested_at__isnull=False, refunded_at__isnull=True, refund_requested_at__lte=before
    )
    for payment in unrefunded.order_by("refund_requested_at")[:limit]:
        answer = refund_at_gateway(payment)
        if answer is not None and answer.outcome is Outcome.REFUNDED:
            done.refunded += 1
        else:
            done.unanswered += 1
    return done


def _reconcile_charge(payment: Payment, done: Reconciled) -> None:
    if payment.amount == 0 or not payment.gateway:
        answer = None  # never sent: the request died before step 2
    else:
        try:
            answer = gateway().lookup(reference=str(payment.pk))
        except GatewayTimeout as exc:
            attempt_record(payment=payment, operation="lookup", answer=None, detail=str(exc))
            done.unanswered += 1
            return
        attempt_record(
            payment=payment,
            operation="lookup",
            answer=answer,
            detail="" if answer is not None else "no charge with this reference",
            missing=answer is None,
        )
    if answer is not None and answer.outcome is Outcome.PENDING:
        done.still_pending += 1
        return
    if answer is not None and answer.outcome is Outcome.APPROVED:
        settled = payment_settle_paid(
            payment_id=payment.pk, gateway_reference=answer.gateway_reference
        )
        if settled.refund_requested_at is not None:  # the hold was lost meanwhile
            refund_at_gateway(settled)
            done.failed += 1
        else:
            done.paid += 1
    else:
        reason = (
            "not charged (reconciled)" if answer is None else f"{answer.outcome.value} (reconciled)"
        )
        payment_settle_failed(payment_id=payment.pk, reason=reason)
        done.failed += 1
    idempotency_complete_result(result_id=payment.pk)
