"""`python -m bench <targets> --show-sql`: the SQL each scenario's request issues.

One request per scenario (its first variant) through Django's test client, in
the harness process on the bench settings, with the queries captured: the text
to put into the scenario's SqlCeiling, values replaced by `{{name}}`
placeholders. No load is generated; gunicorn runs only for setups that walk the
API (deep cursors).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from .context import Context
from .model import Scenario
from .runner import log, request_headers, setup_django
from .stack import GunicornConfig, gunicorn


def _captured(ctx: Context, scenario: Scenario) -> Iterator[str]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    variants = list(scenario.variants(ctx)) if scenario.variants else [{}]
    variant = variants[0]
    request = scenario.request.build(variant)
    headers = {**request_headers(ctx, scenario), **dict(request.headers), "Host": "127.0.0.1"}
    content_type = headers.pop("Content-Type", "application/octet-stream")
    with CaptureQueriesContext(connection) as queries:
        response = Client().generic(
            request.method, request.path, request.body or "", content_type, headers=headers
        )
    yield f"-- {scenario.name}: {request.method} {request.path} -> {response.status_code}"
    if variant:
        yield f"-- variant: {str(dict(variant))[:300]}"
    for query in queries.captured_queries:
        yield f"{query['sql']};  -- {query['time']} s"


def show_sql(scenarios: Sequence[Scenario], config: GunicornConfig) -> str:
    setup_django()
    lines: list[str] = []
    with gunicorn(config) as server:
        ctx = Context(server.base_url)
        for scenario in scenarios:
            log(f"== {scenario.name}")
            try:
                lines += [*_captured(ctx, scenario), ""]
            except Exception as exc:  # the others are still worth showing
                lines += [f"-- {scenario.name}: failed: {type(exc).__name__}: {exc}", ""]
    return "\n".join(lines)
