"""Keyset ("cursor") pagination: constant cost at any depth, never a COUNT.

A page is fetched with a row comparison on the ordering field and the primary
key, ``WHERE (price, id) > (%s, %s) ORDER BY price, id LIMIT n + 1``, which a
B-tree index on ``(price, id)`` answers by seeking straight to the position.
DRF's CursorPagination keys on the first field alone and falls back to OFFSET
among equal values, which grows with the number of ties.

A view declares what clients may order by and its default:

    ordering_fields = ("name", "price", "created_at")   # all NOT NULL columns
    default_ordering = "-created_at"

The cursor is opaque (base64 of a small JSON document); a cursor or page size
that does not decode is a 400 `invalid`, never a 404 or a 500.

A hot list can skip the ORM and DRF's serializers: `paginate_json(fetch, ...)`
hands `fetch` the page's `Keyset` (the position after which to read, the
direction and the limit) and takes back rows already rendered as JSON, each with
its position; `get_json_response()` writes the page around them.
"""

import base64
import binascii
import json
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connections
from django.db.models import BooleanField, Model, QuerySet
from django.db.models.expressions import RawSQL
from django.http import HttpResponse
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from .rendered import dumps, json_response

INVALID_CURSOR = {"cursor": ["Invalid cursor."]}


def _encode(payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


MAX_CURSOR_LENGTH = 1024


def _decode(token: str) -> dict[str, Any]:
    if len(token) > MAX_CURSOR_LENGTH:
        raise ValidationError(INVALID_CURSOR)
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ValidationError(INVALID_CURSOR) from exc
    if (
        not isinstance(payload, dict)
        or set(payload) != {"v", "k", "r", "o"}
        or not isinstance(payload["r"], bool)
        or not isinstance(payload["o"], str)
    ):
        raise ValidationError(INVALID_CURSOR)
    return payload


def position_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class Keyset:
    """What a page reads: `limit` rows of `table` ordered by (`field`, the
    primary key), both descending or both ascending, strictly after `after`
    (the position's value and key, converted for the database) when there is
    one. `column` and `key_column` are the two columns, quoted."""

    table: str
    field: str
    key: str
    column: str
    key_column: str
    descending: bool
    after: tuple[Any, Any] | None
    limit: int

    def where_sql(self, alias: str | None = None) -> tuple[str, list[Any]]:
        """The row comparison (empty without a position) and its parameters."""
        if self.after is None:
            return "", []
        table = alias or self.table
        op = "<" if self.descending else ">"
        value, key = self.after
        if self.column == self.key_column:
            return f"{table}.{self.key_column} {op} %s", [key]
        return f"({table}.{self.column}, {table}.{self.key_column}) {op} (%s, %s)", [value, key]

    def order_sql(self, alias: str | None = None) -> str:
        table, direction = alias or self.table, " DESC" if self.descending else ""
        keys = [self.column] if self.column == self.key_column else [self.column, self.key_column]
        return ", ".join(f"{table}.{key}{direction}" for key in keys)

    def apply(self, queryset: QuerySet) -> QuerySet:
        """`queryset`'s page: filtered to after the position, ordered, limited."""
        if self.after is not None:
            where, params = self.where_sql()
            queryset = queryset.filter(RawSQL(where, params, output_field=BooleanField()))
        sign = "-" if self.descending else ""
        keys = [self.field] if self.field == self.key else [self.field, self.key]
        return queryset.order_by(*(f"{sign}{key}" for key in keys))[: self.limit]

    def json_row(self, row: dict[str, Any], rendered: dict[str, Any]) -> "JsonRow":
        """A `values()` row and its rendering, as a JsonRow."""
        return JsonRow(
            position_text(row[self.field]),
            str(row[self.key]),
            dumps(rendered),
        )


class JsonRow(NamedTuple):
    """A row rendered by `fetch`: its position (as `position_text` writes the
    ordering value, and the key as text) and its JSON."""

    position: str
    key: str
    json: str


class KeysetPagination(BasePagination):
    page_size = 20
    max_page_size = 100
    page_size_query_param = "page_size"
    cursor_query_param = "cursor"
    ordering_query_param = "ordering"

    # --- request parsing ------------------------------------------------------

    def get_page_size(self, request) -> int:
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

    def get_ordering(self, request, view) -> str:
        default = getattr(view, "default_ordering", "-created_at")
        allowed = getattr(view, "ordering_fields", ())
        raw = request.query_params.get(self.ordering_query_param)
        if raw is None or raw == "":
            return default
        if raw.lstrip("-") not in allowed:
            choices = sorted([*allowed, *(f"-{f}" for f in allowed)])
            raise ValidationError(
                {self.ordering_query_param: [f"Must be one of: {', '.join(choices)}."]}
            )
        return raw

    # --- the query ------------------------------------------------------------

    def paginate_queryset(self, queryset: QuerySet, request, view=None) -> list:
        keyset = self._keyset(request, view, queryset.model, connections[queryset.db])
        return self._take(list(keyset.apply(queryset)))

    def paginate_json(
        self,
        fetch: Callable[[Keyset], Sequence[JsonRow]],
        request,
        view,
        model: type[Model],
    ) -> list[JsonRow]:
        """The page's rows as `fetch` reads and renders them (on the default
        database), for `get_json_response`."""
        return self._take(list(fetch(self._keyset(request, view, model, connections["default"]))))

    def _keyset(self, request, view, model: type[Model], connection) -> Keyset:
        self.request = request
        self.page_size_value = self.get_page_size(request)
        self.ordering = self.get_ordering(request, view)
        descending = self.ordering.startswith("-")
        self.field_name = self.ordering.lstrip("-")
        try:
            self.field = model._meta.get_field(self.field_name)
        except FieldDoesNotExist as exc:  # a view misconfiguration, not client input
            raise RuntimeError(f"cannot order {model.__name__} by {self.field_name}") from exc
        self.pk_field = model._meta.pk

        token = request.query_params.get(self.cursor_query_param)
        cursor = _decode(token) if token else None
        if cursor is not None and cursor["o"] != self.ordering:
            raise ValidationError(
                {self.cursor_query_param: ["The cursor belongs to another ordering."]}
            )
        self.reverse = bool(cursor and cursor["r"])
        self.had_cursor = cursor is not None
        after = None
        if cursor is not None:
            after = (
                self._cursor_value(self.field, cursor["v"], connection),
                self._cursor_value(self.pk_field, cursor["k"], connection),
            )
        qn = connection.ops.quote_name
        return Keyset(
            table=qn(model._meta.db_table),
            field=self.field_name,
            key=self.pk_field.name,
            column=qn(self.field.column),
            key_column=qn(self.pk_field.column),
            # Walking backwards (a "previous" page) reads the index the other way.
            descending=descending != self.reverse,
            after=after,
            limit=self.page_size_value + 1,
        )

    def _take(self, rows: list) -> list:
        """The page from its rows plus one (which tells there is more)."""
        self.has_more = len(rows) > self.page_size_value
        rows = rows[: self.page_size_value]
        if self.reverse:
            rows.reverse()
        self.rows = rows
        return rows

    @staticmethod
    def _cursor_value(field, raw, connection):
        """A cursor is client input: convert it with the field, then hold it to the
        field's own validators (max digits, max length, integer range) and refuse
        NUL bytes, so nothing the database would reject reaches it."""
        try:
            value = field.to_python(raw)
            if value is None:
                raise ValueError("null")
            if isinstance(value, str):
                value.encode("utf-8")  # a lone surrogate cannot reach the database
                if "\x00" in value:
                    raise ValueError("NUL")
            if isinstance(value, datetime) and value.tzinfo is None:
                raise ValueError("a position in time needs its time zone")
            field.run_validators(value)
            return field.get_db_prep_value(value, connection)
        except (DjangoValidationError, ValueError, TypeError, OverflowError) as exc:
            # (UnicodeEncodeError is a ValueError)
            raise ValidationError(INVALID_CURSOR) from exc

    # --- the response ---------------------------------------------------------

    def _position(self, row) -> tuple[str | None, str]:
        # Rows are model instances, dicts from a `values()` queryset or JsonRows.
        if isinstance(row, JsonRow):
            return row.position, row.key
        if isinstance(row, dict):
            value, key = row[self.field.attname], row[self.pk_field.attname]
        else:
            value, key = getattr(row, self.field.attname), row.pk
        return position_text(value), str(key)

    def _cursor_for(self, row, *, reverse: bool) -> str:
        value, key = self._position(row)
        payload = {"v": value, "k": key, "r": reverse, "o": self.ordering}
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, _encode(payload))

    def get_next_link(self) -> str | None:
        if not self.rows:
            return None
        if self.reverse or self.has_more:
            return self._cursor_for(self.rows[-1], reverse=False)
        return None

    def get_previous_link(self) -> str | None:
        if not self.rows:
            if self.had_cursor:  # ran off the end: the first page is a sane way back
                return remove_query_param(self.request.build_absolute_uri(), "cursor")
            return None
        if (self.reverse and self.has_more) or (not self.reverse and self.had_cursor):
            return self._cursor_for(self.rows[0], reverse=True)
        return None

    def get_paginated_response(self, data) -> Response:
        return Response(
            OrderedDict(
                [
                    ("next", self.get_next_link()),
                    ("previous", self.get_previous_link()),
                    ("results", data),
                ]
            )
        )

    def get_json_response(self) -> HttpResponse:
        """The page of `paginate_json`, as `get_paginated_response` renders it."""
        links = dumps({"next": self.get_next_link(), "previous": self.get_previous_link()})
        results = ",".join(row.json for row in self.rows)
        return json_response(f'{links[:-1]},"results":[{results}]}}')

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view) -> list[dict]:
        params = [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Opaque cursor from a previous page's `next` or `previous`.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page, 1-{self.max_page_size} (default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1},
            },
        ]
        allowed = getattr(view, "ordering_fields", ())
        if allowed:
            params.append(
                {
                    "name": self.ordering_query_param,
                    "required": False,
                    "in": "query",
                    "description": "Sort order; default "
                    f"`{getattr(view, 'default_ordering', '-created_at')}`.",
                    "schema": {
                        "type": "string",
                        "enum": sorted([*allowed, *(f"-{f}" for f in allowed)]),
                    },
                }
            )
        return params
