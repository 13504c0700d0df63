"""The one error envelope of the API, for DRF views and for Django's own pages.

Every 4xx and 5xx answers ``{"error": {"code", "message", "details"}}``.
"""

import logging
from http import HTTPStatus
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from .errors import DomainError
from .outages import RETRY_AFTER_SECONDS, dependency_down, outages

# Codes for DRF's exception classes. Every 400 is `invalid`, whether the body
# failed to parse or a field failed to validate, so clients branch on one code.
_DRF_CODES: tuple[tuple[type[drf.APIException], str], ...] = (
    (drf.ValidationError, "invalid"),
    (drf.ParseError, "invalid"),
    (drf.NotAuthenticated, "not_authenticated"),
    (drf.AuthenticationFailed, "authentication_failed"),
    (drf.PermissionDenied, "permission_denied"),
    (drf.NotFound, "not_found"),
    (drf.MethodNotAllowed, "method_not_allowed"),
    (drf.NotAcceptable, "not_acceptable"),
    (drf.UnsupportedMediaType, "unsupported_media_type"),
    (drf.Throttled, "throttled"),
)

STATUS_CODES: dict[int, str] = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "request_too_large",
    415: "unsupported_media_type",
    429: "throttled",
    500: "server_error",
    502: "bad_gateway",
    503: "service_unavailable",
}

STATUS_MESSAGES: dict[int, str] = {
    400: "Bad request.",
    403: "Forbidden.",
    404: "Not found.",
    405: "Method not allowed.",
    500: "Internal server error. The failure was logged with this request's id.",
}


def envelope(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def envelope_for_status(status_code: int) -> dict[str, Any]:
    code = STATUS_CODES.get(status_code) or ("invalid" if status_code < 500 else "server_error")
    message = STATUS_MESSAGES.get(status_code)
    if message is None:
        try:
            message = HTTPStatus(status_code).phrase + "."
        except ValueError:
            message = "Request failed."
    return envelope(code, message)


def _drf_code(exc: drf.APIException) -> str:
    if isinstance(exc, drf.AuthenticationFailed):
        # simplejwt's InvalidToken carries `token_not_valid` as its code.
        codes = exc.get_codes()
        if isinstance(codes, dict) and codes.get("code") == "token_not_valid":
            return "token_not_valid"
        if getattr(exc, "default_code", "") == "token_not_valid":
            return "token_not_valid"
    for cls, code in _DRF_CODES:
        if isinstance(exc, cls):
            return code
    return str(getattr(exc, "default_code", "error"))


def _message_and_details(exc: drf.APIException) -> tuple[str, Any]:
    detail = exc.detail
    if isinstance(exc, drf.ValidationError):
        if not isinstance(detail, dict):
            detail = {"non_field_errors": detail if isinstance(detail, list) else [detail]}
        return "Invalid input.", detail
    if isinstance(exc, drf.ParseError):
        return f"Malformed request body: {detail}", None
    if isinstance(exc, drf.Throttled):
        return str(detail), {"retry_after_seconds": exc.wait}
    if isinstance(detail, dict):
        # simplejwt: {"detail": ..., "code": ..., "messages": [...]}
        message = str(detail.get("detail") or exc.default_detail)
        messages = detail.get("messages")
        return message, {"messages": messages} if messages else None
    if isinstance(detail, list):
        return str(exc.default_detail), detail
    return str(detail), None


# What a service refuses in the normal course of business (sold out, not enough
# points, a payment declined, someone else's id): logged at INFO with its code.
# Any other 4xx (bad input, a missing token) stays django.request's WARNING.
BUSINESS_REFUSALS = frozenset({402, 404, 409})
refusal_logger = logging.getLogger("apps.refusals")


def _log_refusal(exc: DomainError, context: dict[str, Any]) -> None:
    request = context.get("request")
    refusal_logger.info(
        "%s %s",
        exc.status_code,
        exc.code,
        extra={
            "status": exc.status_code,
            "code": exc.code,
            "path": getattr(request, "path", None),
        },
    )


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: domain errors and DRF errors into the envelope.

    Anything else returns None, so DRF re-raises and the error middleware answers
    500 with the envelope after the exception has been logged.
    """
    if isinstance(exc, DomainError):
        set_rollback()
        response = Response(
            envelope(exc.code, exc.message, exc.details),
            status=exc.status_code,
            headers=exc.headers,
        )
        if exc.status_code in BUSINESS_REFUSALS:
            _log_refusal(exc, context)
            response._has_been_logged = True  # not django.request's WARNING again
        return response
    dependency = dependency_down(exc)
    if dependency is not None:
        return _unavailable(dependency, exc)
    if isinstance(exc, DjangoValidationError):
        exc = drf.ValidationError(as_serializer_error(exc))

    response = drf_exception_handler(exc, context)  # sets auth/retry headers and rollback
    if response is None:
        return None
    if not isinstance(exc, drf.APIException):  # Django's Http404 / PermissionDenied
        exc = drf.NotFound() if response.status_code == 404 else drf.PermissionDenied()
    message, details = _message_and_details(exc)
    response.data = envelope(_drf_code(exc), message, details)
    return response


def _unavailable(dependency: str, exc: Exception) -> Response:
    """503 with Retry-After for a dependency that is down (apps/core/outages.py),
    logged once per outage there rather than once per request here."""
    set_rollback()
    outages.refused(dependency, exc)
    response = Response(
        envelope(
            "service_unavailable",
            f"The {dependency} is unavailable. Try again shortly (with the same "
            "Idempotency-Key, if the request had one).",
            {"dependency": dependency, "retry_after_seconds": RETRY_AFTER_SECONDS},
        ),
        status=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
    response._has_been_logged = True  # not django.request's ERROR on every request
    return response
