"""The fixtures the tests of several apps share: users of each role, API clients
holding their JWTs, and both paths of the catalog list; and the audit after every
test that writes. Helper functions live in each app's tests/helpers.py."""

import os

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from apps.accounts.tests.helpers import UserFactory
from apps.core.tests.helpers import ContractClient, client_for


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


@pytest.fixture
def api_client() -> APIClient:
    return ContractClient()


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


@pytest.fixture(params=["sql", "portable"])
def product_page_path(request, monkeypatch):
    """Both ways of reading a page of the catalog: PostgreSQL's one statement, and
    the ORM and serializer that the embedded default runs. Every list test (the
    catalog's, core's pagination) runs on each, and they must answer the same."""
    from apps.products import listing

    if request.param == "portable":
        monkeypatch.setattr(listing, "_page_sql", listing._page_portable)
    return request.param


@pytest.fixture(params=["postgresql", "portable"])
def hold_store(request, monkeypatch):
    """Both hold stores on PostgreSQL: the prepared statements with their one-step
    paths, and the portable ORM store (the locked path only) that the embedded
    default runs, so the two give the same answers and keep the same invariants.
    Every reservation test uses it (reservations/tests/conftest.py), and so do
    the tests of the stock app's hold services."""
    from apps.reservations.services import reserve, transitions
    from apps.stock.holds import services as holds_services
    from apps.stock.holds.portable import STORE as PORTABLE
    from apps.stock.holds.postgresql import STORE as POSTGRESQL

    store = {"postgresql": POSTGRESQL, "portable": PORTABLE}[request.param]
    for module in (holds_services, reserve, transitions):
        monkeypatch.setattr(module, "holds_store", lambda: store)
    return store


CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium driven by Selenium, for the pages people use (the coupon
    event page, the report charts). Needs Debian's chromium and chromium-driver
    (.ci/run installs them): without them the test is skipped with the reason,
    except under CI=true, where it fails."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if missing:
        reason = (
            f"pages are tested in headless Chromium, and {', '.join(missing)} is "
            "missing (apt-get install chromium chromium-driver)"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true: {reason}")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM  # with Service's path: Selenium Manager never runs
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=900,1100",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    yield driver
    driver.quit()
