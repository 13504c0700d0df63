"""The record of every gateway call (PaymentAttempt), written outside any
transaction right after the call: a crash between the call and this line is
what the reconciler's lookup is for."""

from django.utils import timezone

from ..gateway import Answer
from ..models import AttemptOutcome, PaymentAttempt


def attempt_record(
    *,
    payment,
    operation: str,
    answer: Answer | None,
    detail: str = "",
    missing: bool = False,
) -> None:
    """`answer` None: no answer (unknown outcome), or with `missing`, the
    gateway's answer that it knows no such charge."""
    if answer is not None:
        outcome = answer.outcome.value
    else:
        outcome = AttemptOutcome.NOT_FOUND if missing else AttemptOutcome.UNKNOWN
    PaymentAttempt.objects.create(
        payment_id=payment.pk,
        operation=operation,
        outcome=outcome,
        gateway_reference=answer.gateway_reference if answer is not None else "",
        detail=(detail or (answer.detail if answer is not None else ""))[:255],
        created_at=timezone.now(),
    )
