"""Domain errors. Each declares its API code and HTTP status; none imports DRF.

Services raise these; `apps.core.api_errors.exception_handler` turns them into
the error envelope of docs/api.md:
``{"error": {"code": ..., "message": ..., "details": ...}}``.
"""

from typing import Any


class DomainError(Exception):
    code: str = "error"
    status_code: int = 400
    default_message: str = "The request could not be completed."

    # Extra response headers the handler sets with the envelope.
    headers: dict[str, str] = {}

    def __init__(self, message: str | None = None, *, details: Any = None) -> None:
        self.message = message or self.default_message
        self.details = details
        super().__init__(self.message)


class ValidationFailed(DomainError):
    """Input that is well-formed but breaks a rule; `details` maps field to messages."""

    code = "invalid"
    status_code = 400
    default_message = "Invalid input."


class AuthenticationFailed(DomainError):
    code = "authentication_failed"
    status_code = 401
    default_message = "Incorrect authentication credentials."


class TokenNotValid(DomainError):
    code = "token_not_valid"
    status_code = 401
    default_message = "Token is invalid or expired."


class PermissionDenied(DomainError):
    code = "permission_denied"
    status_code = 403
    default_message = "You do not have permission to perform this action."


class NotFound(DomainError):
    code = "not_found"
    status_code = 404
    default_message = "Not found."


class Conflict(DomainError):
    """A business conflict (409). Subclasses name the specific code."""

    code = "conflict"
    status_code = 409
    default_message = "The request conflicts with the current state."


class InvalidState(Conflict):
    code = "invalid_state"
    default_message = "The resource is not in a state that allows this action."


class IdempotencyKeyInUse(Conflict):
    code = "idempotency_key_in_use"
    default_message = "A request with this Idempotency-Key is still being processed."


class IdempotencyKeyMismatch(DomainError):
    code = "idempotency_key_mismatch"
    status_code = 422
    default_message = "This Idempotency-Key was already used with a different request."


class IdempotentReplay(DomainError):
    """A refusal stored with an Idempotency-Key, raised again for a retry with the
    same key and body: the same status and envelope, marked as replayed."""

    REPLAYED_HEADER = "Idempotent-Replayed"
    headers = {REPLAYED_HEADER: "true"}

    def __init__(self, status_code: int, body: dict[str, Any]) -> None:
        error = body["error"]
        self.code, self.status_code = error["code"], status_code
        super().__init__(error["message"], details=error["details"])
