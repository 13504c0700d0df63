"""The few global fixtures: users of each role and API clients holding their JWTs."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from apps.accounts.tests.factories import UserFactory
from apps.accounts.tokens import PlatformAccessToken


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters and cached reads must not leak from one test into the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """`audit` passes after every test that writes (docs/architecture.md,
    "Invariants"). The registered invariant checks run right after the test body
    of every test with database access, while its data is still there (before
    any rollback or flush)."""
    result = yield
    uses_db = item.get_closest_marker("django_db") or any(
        name in item.fixturenames for name in ("db", "transactional_db")
    )
    if uses_db and not item.get_closest_marker("no_audit"):
        from apps.core.audit import run_audit

        violations = {name: found for name, found in run_audit().items() if found}
        assert not violations, f"audit failed after the test: {violations}"
    return result


def _no_fractional_number(text: str):
    raise AssertionError(
        f"the response holds the JSON number {text}: docs/api.md has no fractional numbers "
        "(quantities and points are integers, money is a string)"
    )


class ContractClient(APIClient):
    """An API client whose `response.json()` also holds the body to docs/api.md's
    types: an integer rendered as `3.0` fails the test that reads it."""

    def _parse_json(self, response, **extra):
        extra.setdefault("parse_float", _no_fractional_number)
        return super()._parse_json(response, **extra)


@pytest.fixture
def api_client() -> APIClient:
    return ContractClient()


def client_for(user) -> APIClient:
    client = ContractClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {PlatformAccessToken.for_user(user)}")
    return client


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def staff_user(db):
    return UserFactory(is_staff=True)


@pytest.fixture
def warehouse_admin(db):
    return UserFactory(is_warehouse_admin=True)


@pytest.fixture
def user_client(user) -> APIClient:
    return client_for(user)


@pytest.fixture
def staff_client(staff_user) -> APIClient:
    return client_for(staff_user)


@pytest.fixture
def warehouse_client(warehouse_admin) -> APIClient:
    return client_for(warehouse_admin)
