"""Responses whose JSON is rendered in pieces: by PostgreSQL (`row_to_json`) for
the hottest reads, joined here, byte for byte as DRF's JSONRenderer writes."""

import json
from typing import Any

from django.http import HttpResponse


def dumps(value: Any) -> str:
    """`value` (plain JSON types) as DRF's JSONRenderer renders it: compact, UTF-8."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def json_response(body: str) -> HttpResponse:
    """A 200 carrying `body`, a JSON document. As DRF's JSONRenderer, U+2028 and
    U+2029 are escaped: valid in JSON, they end a line of JavaScript."""
    body = body.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return HttpResponse(body.encode(), content_type="application/json")
