from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError


class CursorPagination(pagination.CursorPagination):
    """Cursor pagination: constant cost at any depth and no COUNT of the result.

    `?page_size=` defaults to 20 and is capped at 100; a page size that is not a
    positive integer, or a cursor that does not decode, is a 400 `invalid`.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-created_at"

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            value = int(raw)
        except (TypeError, ValueError):
            value = 0
        if value <= 0:
            raise ValidationError({self.page_size_query_param: ["Must be a positive integer."]})
        return min(value, self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None):
        # A cursor that decodes but carries a position of the wrong type for the
        # ordering field (forged or stale) fails while filtering or querying.
        try:
            return super().paginate_queryset(queryset, request, view)
        except (DjangoValidationError, ValueError, TypeError, OverflowError, DataError) as exc:
            raise ValidationError({self.cursor_query_param: ["Invalid cursor."]}) from exc

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound as exc:
            raise ValidationError({self.cursor_query_param: ["Invalid cursor."]}) from exc
