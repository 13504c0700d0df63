"""The payments app's domain errors (their codes are the API's)."""

from apps.core.errors import Conflict, DomainError


class PaymentDeclined(DomainError):
    code = "payment_declined"
    status_code = 402
    default_message = "The payment was declined; nothing was charged."


class AlreadyPaid(Conflict):
    code = "already_paid"
    default_message = "This reservation has already been paid."


class PaymentInProgress(Conflict):
    code = "payment_in_progress"
    default_message = "A payment of this reservation is already in progress."


class RefundFailed(DomainError):
    code = "refund_failed"
    status_code = 502
    default_message = "The gateway did not refund the payment; nothing was changed."


class InvalidSignature(DomainError):
    code = "invalid_signature"
    status_code = 400
    default_message = "The webhook's signature is missing, wrong or too old."
