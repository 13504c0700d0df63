"""Every request example in the schema succeeds as written against the demo
data (what `make run` loads): sent by the demo user its description names, it
gets the operation's documented success. Every error example is the envelope
with real details, never a placeholder."""

import io
import re
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

from apps.accounts.models import User
from apps.core.tests.helpers import client_for

SCHEMA = yaml.safe_load((Path(__file__).resolve().parents[3] / "openapi.yaml").read_text())
USERS = {
    "customer": "customer@example.com",
    "staff": "staff@example.com",
    "warehouse_admin": "warehouse@example.com",
}


def _path(path: str, operation: dict) -> str | None:
    """The path with each parameter's example (a demo object's id on a fresh
    `make run`); None when a parameter has none yet."""
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            examples = list(parameter.get("examples", {}).values())
            if not examples:
                return None
            path = path.replace("{" + parameter["name"] + "}", str(examples[0]["value"]))
    return path


def _request_examples():
    for path, operations in SCHEMA["paths"].items():
        for method, operation in operations.items():
            content = (operation.get("requestBody") or {}).get("content", {})
            for name, example in content.get("application/json", {}).get("examples", {}).items():
                written = _path(path, operation)
                assert written, f"{method} {path}: a request example but no example of its ids"
                yield pytest.param(
                    written, method, operation, example, id=f"{method} {path} {name}"
                )


EXAMPLES = list(_request_examples())


def test_the_schema_has_request_examples():
    assert EXAMPLES


# Sequences start again from 1, as in the empty database `make run` seeds.
@pytest.mark.django_db(transaction=True, reset_sequences=True)
@pytest.mark.parametrize(("path", "method", "operation", "example"), EXAMPLES)
def test_each_request_example_succeeds_as_written(path, method, operation, example):
    call_command("seed_demo", "--force", stdout=io.StringIO())
    role = re.search(r"As the demo (\w+)\.", example.get("description", ""))
    user = User.objects.get(email=USERS[role.group(1) if role else "customer"])
    success = min(int(code) for code in operation["responses"] if code.startswith("2"))

    response = getattr(client_for(user), method)(path, example["value"], format="json")

    assert response.status_code == success, response.content[:500]


def test_error_examples_show_the_envelope_with_real_details():
    seen = 0
    for operations in SCHEMA["paths"].values():
        for operation in operations.values():
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
