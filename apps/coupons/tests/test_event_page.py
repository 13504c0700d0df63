"""The coupon event page in a real browser: headless Chromium driven by Selenium
(the `browser` fixture, apps/conftest.py) against pytest-django's live server
(static files served by its handler). A screenshot of each state is written to
artifacts/event-page/ (gitignored).
"""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from apps.accounts.tests.helpers import DEFAULT_PASSWORD, UserFactory
from apps.coupons.models import CouponIssue
from apps.coupons.services import coupon_issue
from apps.coupons.tests.helpers import CouponFactory

pytestmark = pytest.mark.django_db(transaction=True)

ARTIFACTS = Path(settings.BASE_DIR) / "artifacts" / "event-page"
WAIT_S = 15


class EventPage:
    def __init__(self, driver, live_server, coupon):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.driver = driver
        driver.get(f"{live_server.url}/event/{coupon.pk}/")
        self.wait_for(lambda: self.text("window-state").strip() != "")

    def el(self, element_id):
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.ID, element_id)

    def text(self, element_id) -> str:
        return self.el(element_id).text

    def wait_for(self, condition, message=""):
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(self.driver, WAIT_S).until(lambda _: condition(), message)

    def log_in(self, user, password=DEFAULT_PASSWORD):
        self.el("login-email").send_keys(user.email)
        self.el("login-password").send_keys(password)
        self.el("login-button").click()

    def claim(self) -> str:
        self.wait_for(lambda: self.el("claim-button").is_enabled(), "claim button stays disabled")
        self.el("claim-button").click()
        self.wait_for(
            lambda: self.el("result").get_attribute("data-state") not in ("idle", "pending"),
            "no answer to the claim",
        )
        return self.el("result").get_attribute("data-state")

    def shot(self, name: str) -> None:
        assert self.driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))

    def script_errors(self) -> list[str]:
        # HTTP refusals (409, 401) are logged as failed resources: expected here.
        return [
            entry["message"]
            for entry in self.driver.get_log("browser")
            if entry["level"] == "SEVERE" and "Failed to load resource" not in entry["message"]
        ]


def test_event_page_claims_in_a_real_browser(browser, live_server):
    # given a drop of 2 and an account
    coupon = CouponFactory(name="Winter drop", total_quantity=2)
    alice = UserFactory()

    # when an anonymous visitor opens the page
    page = EventPage(browser, live_server, coupon)

    # then it shows the coupon, its window and the live remaining count, and the
    # stylesheet and script were served (the script filled the window state)
    assert page.text("coupon-name") == "Winter drop"
    assert "1000.00 off" in page.text("discount")
    assert page.text("remaining") == "2" and page.text("window-state") == "Open now"
    assert page.el("claim-button").is_enabled() is False
    assert (
        browser.execute_script(
            "return getComputedStyle(document.getElementById('claim-button')).width"
        )
        != "auto"
    )
    page.shot("01-logged-out")

    # when she logs in with a wrong password, then with the right one
    page.log_in(alice, password="wrong-password-1")
    page.wait_for(lambda: page.text("account-error") == "Wrong email or password.")
    page.shot("02-login-refused")
    page.el("login-password").clear()
    page.el("login-email").clear()
    page.log_in(alice)
    page.wait_for(lambda: page.text("account-state") == f"Logged in as {alice.email}")

    # then the token lives in memory only: no cookie, nothing stored
    assert browser.get_cookies() == []
    assert browser.execute_script("return localStorage.length + sessionStorage.length") == 0

    # when she claims
    assert page.claim() == "issued"

    # then the page shows the code issued to her, and the count went down
    issue = CouponIssue.objects.get(user=alice)
    assert page.text("issued-code") == issue.code
    page.wait_for(lambda: page.text("remaining") == "1")
    page.shot("03-issued")

    # when she presses again, the page says she holds it, with the same code
    assert page.claim() == "already_issued"
    assert page.text("issued-code") == issue.code
    page.shot("04-already-issued")

    # when someone else takes the last one, the live count follows by itself
    coupon_issue(coupon_id=coupon.pk, user_id=UserFactory().pk)
    page.wait_for(lambda: page.text("remaining") == "0", "the remaining count did not update")
    page.wait_for(lambda: page.text("window-state") == "Sold out")

    # when a newcomer signs up on the page (a reload forgets Alice's token)
    page = EventPage(browser, live_server, coupon)
    assert page.el("login-form").is_displayed() and not page.el("claim-button").is_enabled()
    page.el("signup-link").click()
    page.wait_for(lambda: page.el("signup-form").is_displayed())
    page.el("signup-email").send_keys("newcomer@example.com")
    page.el("signup-password").send_keys("Sturdy-pass-2026")
    page.el("signup-password-confirm").send_keys("Sturdy-pass-2026")
    page.shot("05-sign-up")
    page.el("signup-button").click()
    page.wait_for(lambda: page.text("account-state") == "Logged in as newcomer@example.com")

    # then their claim is refused: sold out
    assert page.claim() == "sold_out"
    assert "Sold out" in page.text("result")
    page.shot("06-sold-out")
    assert CouponIssue.objects.filter(coupon=coupon).count() == 2
    assert page.script_errors() == []


@pytest.mark.parametrize(
    "starts, ends, state, words",
    [
        (timedelta(hours=1), timedelta(hours=2), "not_started", "Not started yet"),
        (timedelta(hours=-2), timedelta(hours=-1), "ended", "has ended"),
    ],
)
def test_event_page_explains_a_closed_window(browser, live_server, starts, ends, state, words):
    # given a drop outside its window
    now = timezone.now()
    coupon = CouponFactory(starts_at=now + starts, ends_at=now + ends)
    user = UserFactory()
    page = EventPage(browser, live_server, coupon)
    assert words in page.text("window-state")

    # when a user logs in and claims anyway
    page.log_in(user)
    # then the page gives the reason, and nothing was issued
    assert page.claim() == state
    assert words in page.text("result")
    page.shot(f"07-{state.replace('_', '-')}")
    assert not CouponIssue.objects.exists()
    assert page.script_errors() == []


def test_event_page_of_an_unknown_coupon_is_404(client):
    assert client.get("/event/999999/").status_code == 404
    assert client.get("/event/99999999999999999999999/").status_code == 404
    coupon = CouponFactory()
    assert client.post(f"/event/{coupon.pk}/").status_code == 405
