"""Other users' ids: every operation of the schema that names the demo
customer's objects (its holds, order, payment, points entry, its company), in
the path or in the body, sent by another user as written. Each answers exactly
what the same request answers for an id that does not exist (404, or 403 where
the role is missing first), so it tells nothing, and the database is unchanged
to the last row."""

import json
import re
import uuid

import pytest
from django.db import connection

from apps.accounts.tests.helpers import UserFactory
from apps.core import demo
from apps.core.tests.helpers import client_for

from .schema import FRESH_DATABASE, body_examples, operations, seed, url

OWNED = {
    demo.HOLD_TO_CONFIRM,
    demo.HOLD_TO_CANCEL,
    demo.HOLD_TO_EXTEND,
    demo.HOLD_TO_PAY,
    demo.HOLD_PAID,
    demo.PAID_ORDER,
    demo.PAID_PAYMENT,
}
# Numbered objects are the customer's under these paths only (1 is also the
# demo warehouse's, coupon's and settlement run's id).
OWNED_NUMBERED = {
    "/api/v1/points/entries/{id}/": demo.CUSTOMER_POINTS_USE,
    "/api/v1/companies/{id}/": demo.COMPANY,
}


MISSING_NUMBER = 987654321


def _read_back(content: bytes, ghosts: dict[str, str]) -> str:
    text = content.decode()
    for ghost, value in ghosts.items():
        text = re.sub(rf"(?<![\w-]){ghost}(?![\w-])", str(value), text)
    return text


def _owned_requests():
    """(method, url, body, the same with a missing id) of each operation naming
    an owned object."""
    for path, method, operation in operations():
        if operation["operationId"] == "payments_webhook":
            continue  # no user: the gateway's signature is its proof
        written = url(path, operation)
        bodies = [e["value"] for e in body_examples(operation).values()] or [None]
        for body in bodies:
            text = json.dumps(body)
            owned = [value for value in OWNED if value in written or value in text]
            numbered = [
                value for prefix, value in OWNED_NUMBERED.items() if path.startswith(prefix)
            ]
            if not owned and not numbered:
                continue
            # The same request for ids that do not exist, and how to read its
            # answer back (an answer may echo the id it was asked for).
            missing_url, missing_text, ghosts = written, text, {}
            for value in owned:
                ghost = str(uuid.uuid4())
                ghosts[ghost] = value
                missing_url = missing_url.replace(value, ghost)
                missing_text = missing_text.replace(value, ghost)
            for value in numbered:
                missing_url = missing_url.replace(f"/{value}/", f"/{MISSING_NUMBER}/", 1)
                ghosts[str(MISSING_NUMBER)] = str(value)
            yield pytest.param(
                method,
                written,
                body,
                missing_url,
                json.loads(missing_text),
                ghosts,
                id=f"{method} {path}",
            )


OWNED_REQUESTS = list(_owned_requests())


def _fingerprint() -> dict[str, str]:
    """Every table of the database, row by row."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        tables = [name for (name,) in cursor.fetchall()]
        prints = {}
        for table in tables:
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                f'FROM "{table}" t'
            )
            prints[table] = cursor.fetchone()
    return prints


def test_the_sweep_covers_every_kind_of_object_a_customer_owns():
    paths = {request.values[1] for request in OWNED_REQUESTS}
    for prefix in ("/reservations/", "/orders/", "/payments/", "/points/entries/", "/companies/"):
        assert any(prefix in path for path in paths), prefix
    assert len(OWNED_REQUESTS) >= 15


@FRESH_DATABASE
def test_other_users_get_what_a_missing_id_gets_and_change_nothing():
    seed()
    intruders = {
        "customer": client_for(UserFactory()),
        "warehouse_admin": client_for(UserFactory(is_warehouse_admin=True)),
    }
    before = _fingerprint()

    leaks = []
    for method, written, body, missing_url, missing_body, ghosts in (
        r.values for r in OWNED_REQUESTS
    ):
        for role, client in intruders.items():
            answer = getattr(client, method)(written, body, format="json")
            missing = getattr(client, method)(missing_url, missing_body, format="json")
            same = (answer.status_code, answer.content.decode()) == (
                missing.status_code,
                _read_back(missing.content, ghosts),
            )
            if answer.status_code not in (403, 404) or not same:
                leaks.append((role, method, written, answer.content[:150], missing.content[:150]))

    assert not leaks, leaks
    assert _fingerprint() == before
