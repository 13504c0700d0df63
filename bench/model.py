"""What a scenario is: data, built from one helper per request shape.

A scenario sends one request shape (`get`, `post_json`) filled from variants:
dicts produced once by its setup (`variants`, run in the harness with Django set
up) and spread over the run, in turn or at random. The same variants fill the
SQL of its ceiling, so the pgbench script and the endpoint read the same rows.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote, urlencode

if TYPE_CHECKING:
    from .context import Context

Variant = Mapping[str, Any]
Pick = Literal["round-robin", "random"]
DEFAULT_LEVELS: tuple[int, ...] = (1, 16, 64)


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str  # path and query string, from the server's root
    body: str | None = None  # one line of JSON
    headers: tuple[tuple[str, str], ...] = ()  # this request's own, over the common ones

    def sent_once(self) -> HttpRequest:
        """As wrk would send it once: "{unique}" in the body made a fresh value."""
        if self.body is None or UNIQUE not in self.body:
            return self
        body = self.body.replace(UNIQUE, _fresh())
        return HttpRequest(self.method, self.path, body, self.headers)


UNIQUE = "{unique}"


def _fresh() -> str:
    return f"bench-once-{secrets.token_hex(8)}"


@dataclass(frozen=True)
class FollowUp:
    """What a wrk thread sends after a 201, for the id of what it created.

    "{id}" in `path` and in the JSON of `body` is that id; `unique_header`
    (e.g. "Idempotency-Key") gets a value never used before, also put in
    place of "{unique}" in the body. `when`: only a 201 whose body contains
    this text gets the follow-up (the follow-up's own 201 must not, when it
    answers 201 too: a paid order after its reservation).
    """

    method: str
    path: str
    body: Any = None
    unique_header: str | None = None
    when: str | None = None

    def wrk_args(self) -> list[str]:
        body = json.dumps(self.body, separators=(",", ":")) if self.body is not None else ""
        return [self.method, self.path, body, self.unique_header or "", self.when or ""]

    def describe(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class RequestShape:
    """How a variant becomes a request. Build it with `get` or `post_json`.

    `{name}` in the path and the query values is replaced by `variant[name]`,
    URL-encoded. `auth` names a role (see Context.bearer) whose JWT every
    request carries. `headers(variant)` gives a request headers of its own
    (e.g. each variant a different user's JWT: `bearer_from("token")`).
    `unique_header` (e.g. "Idempotency-Key") gets a fresh value on every
    request sent, also put in place of "{unique}" in the body. `then` (a
    FollowUp): after every 201 answer, the same wrk thread sends this follow-up
    for the created object's id (reserve, then cancel it; or pay for it)
    before its next new request.
    """

    method: str
    path: str
    query: Mapping[str, str] = field(default_factory=dict)
    body: Callable[[Variant], Any] | None = None
    auth: str | None = None
    unique_header: str | None = None
    then: FollowUp | None = None
    headers: Callable[[Variant], Mapping[str, str]] | None = None

    def build(self, variant: Variant) -> HttpRequest:
        quoted = {key: quote(str(value), safe="") for key, value in variant.items()}
        path = self.path.format_map(quoted)
        if self.query:
            query = {key: value.format_map(variant) for key, value in self.query.items()}
            path = f"{path}?{urlencode(query)}"
        body = None
        if self.body is not None:
            body = json.dumps(self.body(variant), separators=(",", ":"), default=str)
        headers = tuple(self.headers(variant).items()) if self.headers else ()
        return HttpRequest(self.method, path, body, headers)

    def describe(self) -> str:
        query = "&".join(f"{key}={value}" for key, value in self.query.items())
        text = f"{self.method} {self.path}{'?' + query if query else ''}"
        return f"{text} then {self.then.describe()}" if self.then else text


def get(path: str, *, auth: str | None = None, **query: str) -> RequestShape:
    """GET `path`, with `query` parameters (templates filled from the variant)."""
    return RequestShape("GET", path, query=query, auth=auth)


def post_json(
    path: str,
    body: Callable[[Variant], Any],
    *,
    auth: str | None = None,
    unique_header: str | None = None,
    then: FollowUp | None = None,
    headers: Callable[[Variant], Mapping[str, str]] | None = None,
) -> RequestShape:
    """POST `body(variant)` as JSON to `path`."""
    return RequestShape(
        "POST",
        path,
        body=body,
        auth=auth,
        unique_header=unique_header,
        then=then,
        headers=headers,
    )


def bearer_from(name: str) -> Callable[[Variant], dict[str, str]]:
    """Per-request headers: the JWT in `variant[name]` (one user per variant)."""
    return lambda variant: {"Authorization": f"Bearer {variant[name]}"}


def fields(*names: str) -> Callable[[Variant], dict[str, Any]]:
    """A JSON body made of these keys of the variant (for `post_json`)."""
    return lambda variant: {name: variant[name] for name in names}


_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def sql_literal(value: Any) -> str:
    """A value as SQL text: strings quoted, numbers bare, sequences as ARRAY[...]."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return f"ARRAY[{', '.join(sql_literal(item) for item in value)}]"
    return "'" + str(value).replace("'", "''") + "'"


@dataclass(frozen=True)
class SqlCeiling:
    """The same SQL as the endpoint, run by pgbench at the same concurrency.

    `script` is a pgbench script (may hold several statements, `\\set`,
    BEGIN/COMMIT); `explain` one statement to show once under EXPLAIN (ANALYZE,
    BUFFERS), by default the script itself when it is a single statement.
    `{{name}}` in either is replaced by `sql_literal(variant[name])`; pgbench
    runs one script per variant (at most `max_variants`, pgbench allows 128),
    picked at random for each transaction.
    """

    script: str | Callable[[], str]
    explain: str | None = None
    max_variants: int = 64
    # HTTP requests one run of the script stands for (2: a reserve and its cancel);
    # the figure reported is script runs per second times this.
    requests_per_script: int = 1

    def text(self) -> str:
        """The script; built by a call when it comes from the project's own code
        (after Django is set up, so it can import it)."""
        return self.script() if callable(self.script) else self.script

    def render_script(self, variant: Variant) -> str:
        return _render(self.text(), variant)

    def render_explain(self, variant: Variant) -> str | None:
        script = self.text()
        statement = self.explain or (script if _single_statement(script) else None)
        return _render(statement, variant) if statement else None


def _render(template: str, variant: Variant) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in variant:
            raise KeyError(f"the SQL uses {{{{{name}}}}}, which the variants do not provide")
        return sql_literal(variant[name])

    return _PLACEHOLDER.sub(replace, template)


def _single_statement(script: str) -> bool:
    body = script.strip().rstrip(";")
    lines = [line.strip() for line in body.splitlines()]
    return ";" not in body and not any(line.startswith("\\") for line in lines)


class ScenarioFailed(Exception):
    """The scenario cannot be measured (setup found nothing, endpoint not there, ...)."""


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str


@dataclass(frozen=True)
class Scenario:
    """One endpoint under load. `name` is "<group>.<what>", e.g. "catalog.list.first_page".

    `variants(ctx)` is the setup: it returns the values spread over the run
    (None: the request has no variable part). `post_check(ctx)` runs after the
    last level (e.g. the ledger audit after writes); `after_load(ctx, c)` after
    the warm-up and after each level, for figures of that level only.

    For a load that changes what it measures as it goes (a coupon drop: issues
    while stock lasts, then only refusals), three more:

    - `expect`: statuses outside 2xx/3xx that are answers of the scenario, not
      errors (e.g. 409 sold_out), for the smoke request and the error count;
    - `stop_on_status`: the load of a level ends at the first answer with this
      status (wrk stops), so the level measures only the phase before it (its
      rate over the time until the stop); the level's duration is then only a
      time limit, `duration_s` of the scenario if set, whatever BENCH_DURATION
      says; and there is no warm-up (it would consume the event measured);
    - `before_load(ctx)`: runs before every wrk run of the scenario (warm-up
      and each level), e.g. to put the drop back to full stock.
    """

    name: str
    request: RequestShape
    description: str = ""
    variants: Callable[[Context], Sequence[Variant]] | None = None
    levels: tuple[int, ...] = DEFAULT_LEVELS
    duration_s: float | None = None
    pick: Pick = "round-robin"
    ceiling: SqlCeiling | None = None
    post_check: Callable[[Context], CheckResult] | None = None
    # Called after the warm-up (None) and after each level (its concurrency);
    # a text returned is kept as a note (e.g. counters the service keeps).
    after_load: Callable[[Context, int | None], str | None] | None = None
    expect: tuple[int, ...] = ()
    stop_on_status: int | None = None
    before_load: Callable[[Context], None] | None = None

    @property
    def group(self) -> str:
        return self.name.split(".", 1)[0]


@dataclass(frozen=True)
class Stats:
    """Throughput and latency of one load run (HTTP by wrk, or SQL by pgbench)."""

    rps: float
    requests: int
    duration_s: float
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    errors: int  # HTTP: non-2xx/3xx answers and socket errors; SQL: failed transactions
    detail: Mapping[str, Any] = field(default_factory=dict)
