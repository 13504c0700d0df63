"""OpenAPI pieces shared by every app: the error envelope and its responses."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from .api_errors import STATUS_CODES


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
    429: "`throttled` (see the Retry-After header).",
    503: "A dependency is unavailable.",
}


def error_responses(*statuses: int, **described: str) -> dict[int, OpenApiResponse]:
    """Responses for `@extend_schema(responses=...)`: each status answers the envelope.

    `described` gives a status its own text: ``error_responses(400, s409="insufficient_stock")``.
    """
    responses = {}
    for status_code in statuses:
        text = _DESCRIPTIONS.get(status_code) or STATUS_CODES.get(status_code, "Error")
        responses[status_code] = OpenApiResponse(ErrorEnvelopeSerializer, description=text)
    for key, text in described.items():
        status_code = int(key.lstrip("s"))
        responses[status_code] = OpenApiResponse(ErrorEnvelopeSerializer, description=text)
    return responses


IDEMPOTENCY_HEADER = OpenApiParameter(
    name="Idempotency-Key",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="1-255 printable ASCII characters, scoped to the caller and route. A retry "
    "with the same key and body replays the first response with `Idempotent-Replayed: true`; "
    "a different body is a 422, a retry while the first still runs a 409.",
)
