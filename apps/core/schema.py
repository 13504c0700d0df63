"""OpenAPI pieces shared by every app: the error envelope and its responses."""

import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from .api_errors import STATUS_CODES, envelope


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable snake_case code, e.g. `insufficient_stock`.")
    message = serializers.CharField(help_text="Human-readable text.")
    details = serializers.JSONField(
        allow_null=True, help_text="Field errors for `invalid`; otherwise error-specific."
    )


class ErrorEnvelopeSerializer(serializers.Serializer):
    error = ErrorBodySerializer()


_DESCRIPTIONS = {
    400: "Invalid input (`invalid`, field errors in `details`).",
    401: "`not_authenticated`, `token_not_valid` or `authentication_failed`.",
    402: "Payment declined.",
    403: "`permission_denied`.",
    404: "`not_found`.",
    409: "Business conflict.",
    422: "`idempotency_key_mismatch`.",
    413: "`request_too_large`: the body is over REQUEST_BODY_MAX_BYTES (refused unread).",
    429: "`throttled` (see the Retry-After header).",
    503: "`service_unavailable`: PostgreSQL or a required Redis cannot be reached; see "
    "the Retry-After header.",
}


# What each status's body looks like, details included, as the API answers it
# (Swagger UI would otherwise show `"details": "string"`).
_EXAMPLES: dict[int, tuple[str, str, object]] = {
    400: (
        "invalid",
        "Invalid input.",
        {"quantity": ["Ensure this value is greater than or equal to 1."]},
    ),
    401: ("not_authenticated", "Authentication credentials were not provided.", None),
    402: (
        "payment_declined",
        "The payment was declined; nothing was charged.",
        {"order_id": "0193a6f0-7c1e-7b8a-9d2f-4e5a6b7c8d9e"},
    ),
    403: ("permission_denied", "You do not have permission to perform this action.", None),
    404: ("not_found", "Not found.", None),
    422: (
        "idempotency_key_mismatch",
        "This Idempotency-Key was already used with a different request.",
        None,
    ),
    429: ("throttled", "Request was throttled.", {"retry_after_seconds": 42}),
    413: (
        "request_too_large",
        "The request body is over the limit of 2621440 bytes.",
        {"limit_bytes": 2621440, "content_length": 20971520},
    ),
    503: (
        "service_unavailable",
        "The database is unavailable. Try again shortly (with the same Idempotency-Key, "
        "if the request had one).",
        {"dependency": "database", "retry_after_seconds": 5},
    ),
}
_CODE = re.compile(r"`([a-z_]+)`")


def _example(status_code: int, text: str) -> OpenApiExample:
    """The envelope of `status_code`; for a business conflict, the first code
    the description names (its details differ by code: the description says)."""
    code, message, details = _EXAMPLES.get(status_code, ("conflict", "Conflict.", None))
    named = _CODE.search(text)
    if status_code == 409 and named:
        code, message = named.group(1), "Refused; nothing was changed."
    return OpenApiExample(
        code,
        value={"error": {"code": code, "message": message, "details": details}},
        response_only=True,
        status_codes=[str(status_code)],
    )


def error_responses(*statuses: int, **described: str) -> dict[int, OpenApiResponse]:
    """Responses for `@extend_schema(responses=...)`: each status answers the envelope.

    `described` gives a status its own text: ``error_responses(400, s409="insufficient_stock")``.
    """
    texts = {
        status_code: _DESCRIPTIONS.get(status_code) or STATUS_CODES.get(status_code, "Error")
        for status_code in statuses
    }
    texts.update({int(key.lstrip("s")): text for key, text in described.items()})
    return {
        status_code: OpenApiResponse(
            ErrorEnvelopeSerializer, description=text, examples=[_example(status_code, text)]
        )
        for status_code, text in texts.items()
    }


def demo_id(name: str, value, summary: str, kind=OpenApiTypes.INT) -> OpenApiParameter:
    """A path parameter with the id a demo object has on a fresh `make run`
    (the demo data loaded into an empty database)."""
    return OpenApiParameter(
        name, kind, OpenApiParameter.PATH, examples=[OpenApiExample(summary, value=value)]
    )


def request_example(
    summary: str, value: dict, *, as_role: str = "customer", first: str = ""
) -> OpenApiExample:
    """A request body that succeeds as written against `make run` (the demo
    data); `as_role` is the demo user to send it as. apps/demo/tests holds every
    one to that. `first` says what to do before sending one that needs a value
    no schema can hold (a token from an earlier answer, a signature of now): it
    succeeds once that is done."""
    description = f"As the demo {as_role}." + (f" First {first}." if first else "")
    return OpenApiExample(summary, value=value, request_only=True, description=description)


# What an example holds in place of the refresh token the caller got on logging in.
REFRESH_FROM_LOGIN = "<the refresh token POST /api/v1/auth/token/ answered>"


IDEMPOTENCY_HEADER = OpenApiParameter(
    name="Idempotency-Key",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="1-255 printable ASCII characters, scoped to the caller and route. A retry "
    "with the same key and body replays the first response with `Idempotent-Replayed: true`; "
    "a different body is a 422, a retry while the first still runs a 409.",
)


def add_answers_of_every_operation(result, generator, request, public):
    """Drf-spectacular's postprocessing hook: what any operation may answer
    without its view having a say, in the envelope with its example: 503 while
    a dependency is down, and 413 for a body over the limit."""
    for operations in result["paths"].values():
        for operation in operations.values():
            statuses = [503] + ([413] if "requestBody" in operation else [])
            for status_code in statuses:
                code, message, details = _EXAMPLES[status_code]
                operation["responses"].setdefault(
                    str(status_code),
                    {
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/ErrorEnvelope"},
                                "examples": {
                                    code: {
                                        "value": envelope(code, message, details),
                                        "summary": code,
                                    }
                                },
                            }
                        },
                        "description": _DESCRIPTIONS[status_code],
                    },
                )
    return result
