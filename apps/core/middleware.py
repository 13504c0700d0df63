import logging
import re
import time
import uuid

from django.conf import settings
from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.common import CommonMiddleware as DjangoCommonMiddleware
from django.utils.functional import SimpleLazyObject, empty

from .api_errors import envelope, envelope_for_status
from .logging import request_id_var

access_logger = logging.getLogger("apps.request")

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,128}$")
API_PREFIX = "/api/"


def authenticated_user_id(request: HttpRequest) -> int | None:
    # Read the user only if something already resolved it: evaluating Django's
    # lazy user here would cost a session query on every anonymous request.
    user = request.__dict__.get("user")
    if user is None or (isinstance(user, SimpleLazyObject) and user._wrapped is empty):
        return None
    return getattr(user, "pk", None)


def _route(request: HttpRequest) -> str | None:
    """The URL pattern that served the request ("api/v1/products/<uuid:pk>/"):
    one value per endpoint, however many ids pass through it."""
    match = getattr(request, "resolver_match", None)
    return f"/{match.route}" if match is not None and match.route else None


def _forget_request_id(**kwargs) -> None:
    request_id_var.set(None)


# The id stays set until the response is closed, so that what Django logs after
# the middleware has returned (django.request's line for a 4xx) carries it too.
request_finished.connect(_forget_request_id, dispatch_uid="apps.core.forget_request_id")


class RequestIdMiddleware:
    """Gives each request an id (the caller's X-Request-ID if sane), logs it on every
    line written while serving it (Django's own included: the id is cleared when
    the response is closed), returns it in the response, and writes one access
    log line per request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        request_id_var.set(request_id)
        started = time.perf_counter()
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        if settings.ACCESS_LOG_ENABLED:
            access_logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "route": _route(request),
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "user_id": authenticated_user_id(request),
                },
            )
        return response


class RequestBodyLimitMiddleware:
    """Under /api/, a body declared longer than DATA_UPLOAD_MAX_MEMORY_SIZE is
    413 in the envelope before anything reads it (Django would read nothing
    either, but answer 400 after an ERROR line with a traceback). A declared
    length that is not a number is 400."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    def __call__(self, request: HttpRequest) -> HttpResponse:
        declared = request.META.get("CONTENT_LENGTH") or "0"
        if self.limit is None or not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        if not declared.isdigit():
            body = envelope("invalid", "Content-Length is not a number.")
            return JsonResponse(body, status=400)
        if int(declared) > self.limit:
            body = envelope(
                "request_too_large",
                f"The request body is over the limit of {self.limit} bytes.",
                {"limit_bytes": self.limit, "content_length": int(declared)},
            )
            return JsonResponse(body, status=413)
        return self.get_response(request)


class ApiErrorEnvelopeMiddleware:
    """Under /api/, Django's own error pages (unknown URL, uncaught exception, CSRF,
    bad Host) become the JSON error envelope. DRF views already answer with it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and request.path.startswith(API_PREFIX)
            and not response.streaming
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            replacement = JsonResponse(
                envelope_for_status(response.status_code), status=response.status_code
            )
            for header in ("Allow", "Retry-After", "WWW-Authenticate"):
                if header in response:
                    replacement[header] = response[header]
            return replacement
        return response


class CommonMiddleware(DjangoCommonMiddleware):
    """Django's CommonMiddleware, without the trailing-slash redirect under /api/.

    API paths are exact: a missing slash is a 404 in the envelope, not a redirect
    that drops a POST body (or, with DEBUG on, a RuntimeError)."""

    def should_redirect_with_slash(self, request: HttpRequest) -> bool:
        if request.path_info.startswith(API_PREFIX):
            return False
        return super().should_redirect_with_slash(request)
