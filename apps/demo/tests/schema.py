"""The committed schema, read as a client would, and the demo data it names
(apps/core/demo.py): for the tests that press every operation."""

import io
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml
from django.core.management import call_command

from apps.accounts.demo import DEMO_USERS

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = yaml.safe_load((ROOT / "openapi.yaml").read_text())
USERS = {
    "customer": "customer@example.com",
    "staff": "staff@example.com",
    "warehouse_admin": "warehouse@example.com",
}
PASSWORDS = {email: password for email, password, *_ in DEMO_USERS}
# Sequences start again from 1, as in the empty database `make run` seeds.
FRESH_DATABASE = pytest.mark.django_db(transaction=True, reset_sequences=True)


def operations():
    for path, operations in SCHEMA["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def body_examples(operation: dict) -> dict:
    content = (operation.get("requestBody") or {}).get("content", {})
    return content.get("application/json", {}).get("examples", {})


def example(parameter: dict):
    return next(iter(parameter["examples"].values()))["value"]


def url(path: str, operation: dict) -> str:
    """The path with each parameter's example (a demo object's id on a fresh
    `make run`), and the required query parameters' (test_schema_examples holds
    every one to having an example)."""
    query = {}
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", str(example(parameter)))
        elif parameter["in"] == "query" and parameter.get("required"):
            query[parameter["name"]] = example(parameter)
    return f"{path}?{urlencode(query)}" if query else path


def success(operation: dict) -> int:
    return min(int(code) for code in operation["responses"] if code.startswith("2"))


def seed() -> None:
    call_command("seed_demo", "--force", stdout=io.StringIO())
