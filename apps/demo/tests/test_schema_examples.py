"""Every operation in the schema can be pressed as written against the demo data
(what `make run` loads): its path names demo objects, its body example is sent
by the demo user its description names, and the answer is the operation's
documented success. Every error example is the envelope with real details,
never a placeholder."""

import json
import re

import pytest
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.core.schema import REFRESH_FROM_LOGIN
from apps.core.tests.helpers import client_for
from apps.payments.services.webhooks import signed_headers

from .schema import (
    FRESH_DATABASE,
    PASSWORDS,
    USERS,
    body_examples,
    operations,
    seed,
    success,
    url,
)


def test_every_operation_names_demo_objects_and_shows_a_body_that_works():
    missing = []
    for path, method, operation in operations():
        for parameter in operation.get("parameters", []):
            needed = parameter["in"] == "path" or parameter.get("required")
            if needed and parameter["in"] != "header" and not parameter.get("examples"):
                missing.append(f"{method} {path}: no example of {parameter['name']}")
        if operation.get("requestBody") and not body_examples(operation):
            missing.append(f"{method} {path}: no request example")
    assert not missing, missing


BODY_EXAMPLES = [
    pytest.param(path, method, operation, example, id=f"{method} {path} {name}")
    for path, method, operation in operations()
    for name, example in body_examples(operation).items()
]
WITHOUT_BODY = [
    pytest.param(path, method, operation, id=f"{method} {path}")
    for path, method, operation in operations()
    if not operation.get("requestBody") and method != "get"
]
READS = [(path, operation) for path, method, operation in operations() if method == "get"]


def test_the_schema_has_examples_of_each_kind():
    assert len(BODY_EXAMPLES) > 25 and len(WITHOUT_BODY) >= 4 and len(READS) > 25


def _done_first(operation: dict, value: dict) -> tuple[dict | bytes, dict]:
    """The body and headers once the example's "First ..." step is done, as its
    description tells a reader: log in for a refresh token, or sign the event."""
    if REFRESH_FROM_LOGIN in value.values():
        email = USERS["customer"]
        login = APIClient().post(
            "/api/v1/auth/token/", {"email": email, "password": PASSWORDS[email]}, format="json"
        )
        value = {**value, "refresh": login.json()["refresh"]}
    if operation["operationId"] == "payments_webhook":
        body = json.dumps(value).encode()
        headers = signed_headers(body)
        return body, {f"HTTP_{name.upper().replace('-', '_')}": v for name, v in headers.items()}
    return value, {}


@FRESH_DATABASE
@pytest.mark.parametrize(("path", "method", "operation", "example"), BODY_EXAMPLES)
def test_each_request_example_succeeds_as_written(path, method, operation, example):
    seed()
    description = example.get("description", "")
    role = re.match(r"As the demo (\w+)\.", description)
    client = client_for(User.objects.get(email=USERS[role.group(1)])) if role else APIClient()
    body, headers = _done_first(operation, example["value"])
    assert ("First " in description) == (body != example["value"] or bool(headers))

    response = (
        getattr(client, method)(
            url(path, operation), body, content_type="application/json", **headers
        )
        if isinstance(body, bytes)
        else getattr(client, method)(url(path, operation), body, format="json", **headers)
    )

    assert response.status_code == success(operation), response.content[:500]


@FRESH_DATABASE
@pytest.mark.parametrize(("path", "method", "operation"), WITHOUT_BODY)
def test_each_step_without_a_body_succeeds_for_the_demo_user_it_is_for(path, method, operation):
    """Pressed by each demo user in turn: the first the step is for succeeds;
    those before it are refused (403, or 404 for what is not theirs) and
    change nothing the next one would notice."""
    seed()
    answers = []
    for email in USERS.values():
        response = getattr(client_for(User.objects.get(email=email)), method)(url(path, operation))
        answers.append(response.status_code)
        if response.status_code == success(operation):
            break
        assert response.status_code in (403, 404), response.content[:500]
    assert answers[-1] == success(operation), answers


@FRESH_DATABASE
def test_every_read_succeeds_for_a_demo_user():
    seed()
    clients = [client_for(User.objects.get(email=email)) for email in USERS.values()]
    failed = {}
    for path, operation in READS:
        answers = [client.get(url(path, operation)).status_code for client in clients]
        if success(operation) not in answers or set(answers) - {success(operation), 403, 404}:
            failed[operation["operationId"]] = answers
    assert not failed, failed


def test_error_examples_show_the_envelope_with_real_details():
    seen = 0
    for _, _, operation in operations():
        for code, response in operation.get("responses", {}).items():
            if not code.startswith(("4", "5")):
                continue
            examples = response["content"]["application/json"].get("examples", {})
            assert examples, (operation["operationId"], code)
            for example in examples.values():
                error = example["value"]["error"]
                assert set(error) == {"code", "message", "details"}
                assert error["details"] != "string" and error["code"] != "string"
                seen += 1
    assert seen > 100
