"""The payment gateway: an interface, and the fake one the platform runs with by
default (`PAYMENT_GATEWAY`, a dotted path to a class with these methods).

Every call names our payment's id as its reference, the gateway's idempotency
key: a repeated charge answers the first one's outcome and never charges
twice, and a charge whose answer was lost can be looked up. A call may take at
most PAYMENT_GATEWAY_TIMEOUT_SECONDS; past that, or on any error of transport,
it raises `GatewayTimeout`: the outcome is unknown, and the reconciler asks
later. No card data reaches us: a client passes a token the gateway issued.

Gateways are never called inside a transaction or a row lock
(docs/architecture.md, "Checkout"): `call_outside_transactions` refuses to.
"""

import enum
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Protocol

from django.conf import settings
from django.db import IntegrityError, connection
from django.utils import timezone
from django.utils.module_loading import import_string


class Outcome(enum.Enum):
    APPROVED = "approved"  # charged
    DECLINED = "declined"  # nothing charged
    PENDING = "pending"  # accepted, the money arrives later (a webhook says when)
    REFUNDED = "refunded"  # charged, then given back


@dataclass(frozen=True, slots=True)
class Answer:
    outcome: Outcome
    gateway_reference: str = ""
    detail: str = ""


class GatewayTimeout(Exception):
    """No answer in time (or the transport failed): the outcome is unknown."""


class Gateway(Protocol):
    name: str

    def charge(
        self, *, reference: str, amount: Decimal, method: str, token: str | None
    ) -> Answer: ...

    def refund(self, *, reference: str, amount: Decimal) -> Answer: ...

    def lookup(self, *, reference: str) -> Answer | None:
        """The charge made with this reference as it stands, None if none was."""


@cache
def _gateway_class(path: str) -> type:
    return import_string(path)


def gateway() -> Gateway:
    return _gateway_class(settings.PAYMENT_GATEWAY)()


def call_outside_transactions() -> None:
    if connection.in_atomic_block:
        raise RuntimeError("a payment gateway is never called inside a transaction")


# --- The fake gateway ----------------------------------------------------------------

APPROVE, DECLINE, TIMEOUT, CHARGE_THEN_FAIL = (
    "tok_approve",
    "tok_decline",
    "tok_timeout",
    "tok_charge_then_fail",
)
TOKENS = (APPROVE, DECLINE, TIMEOUT, CHARGE_THEN_FAIL)


class FakeGateway:
    """A gateway with its own book of charges (FakeGatewayCharge, autocommitted
    like a remote system's), keyed by our reference. `payment_token` picks the
    answer: tok_approve (or none) charges; tok_decline declines; tok_timeout
    answers nothing in time and charges nothing; tok_charge_then_fail charges,
    then the answer is lost. A bank transfer is accepted as pending; the
    transfer's arrival is `transfer_arrived`, which the tests and the demo turn
    into the gateway's signed webhook."""

    name = "fake"

    def charge(self, *, reference: str, amount: Decimal, method: str, token: str | None) -> Answer:
        from .models import FakeGatewayCharge

        call_outside_transactions()
        earlier = FakeGatewayCharge.objects.filter(reference=reference).first()
        if earlier is not None:  # a repeated charge answers the first one
            return self._answer(earlier)
        token = token or APPROVE
        if token == TIMEOUT:
            raise GatewayTimeout("the fake gateway did not answer (tok_timeout)")
        status = Outcome.DECLINED if token == DECLINE else Outcome.APPROVED
        if method == "bank_transfer" and status is Outcome.APPROVED:
            status = Outcome.PENDING
        now = timezone.now()
        try:
            charge = FakeGatewayCharge.objects.create(
                reference=reference,
                amount=amount,
                method=method,
                status=status.value,
                created_at=now,
                updated_at=now,
            )
        except IntegrityError:  # the same reference at once: the first one counts
            charge = FakeGatewayCharge.objects.get(reference=reference)
        if token == CHARGE_THEN_FAIL:
            raise GatewayTimeout("the fake gateway charged, then the answer was lost")
        return self._answer(charge)

    def refund(self, *, reference: str, amount: Decimal) -> Answer:
        from .models import FakeGatewayCharge

        call_outside_transactions()
        updated = FakeGatewayCharge.objects.filter(
            reference=reference, status=Outcome.APPROVED.value
        ).update(status=Outcome.REFUNDED.value, updated_at=timezone.now())
        charge = FakeGatewayCharge.objects.filter(reference=reference).first()
        if charge is None or (not updated and charge.status != Outcome.REFUNDED.value):
            return Answer(Outcome.DECLINED, detail="nothing to refund")
        return self._answer(charge)

    def lookup(self, *, reference: str) -> Answer | None:
        from .models import FakeGatewayCharge

        call_outside_transactions()
        charge = FakeGatewayCharge.objects.filter(reference=reference).first()
        return self._answer(charge) if charge is not None else None

    @staticmethod
    def transfer_arrived(*, reference: str) -> bool:
        """The money of a pending bank transfer arrived (the gateway's side)."""
        from .models import FakeGatewayCharge

        return bool(
            FakeGatewayCharge.objects.filter(
                reference=reference, status=Outcome.PENDING.value
            ).update(status=Outcome.APPROVED.value, updated_at=timezone.now())
        )

    @staticmethod
    def _answer(charge) -> Answer:
        return Answer(Outcome(charge.status), gateway_reference=f"fake_{charge.reference}")
