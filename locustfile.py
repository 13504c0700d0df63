"""Load scenarios for the inventory reservation API (Locust).

Run against a server (web UI on http://localhost:8089)::

    .venv/bin/locust -f locustfile.py --host http://127.0.0.1:8000

or headless, e.g. 50 users spawned 5 per second for two minutes::

    .venv/bin/locust -f locustfile.py --host http://127.0.0.1:8000 \\
        --headless --users 50 --spawn-rate 5 --run-time 2m

Raise the server's auth throttles first. Every simulated user signs up and logs
in, and all of them come from one address, so the defaults (30/minute for
tokens, 10/minute for sign-ups) would turn the run into a measure of 429s.
Start the server with, for instance::

    THROTTLE_RATE_AUTH_TOKEN=100000/minute THROTTLE_RATE_AUTH_SIGNUP=100000/minute

(in the environment or .env; docker-compose.yml passes both through).

Scenarios are ``HttpUser`` classes. ``ApiUser`` holds what they share (sign-up,
log-in, the Bearer header, response checks against the API's error envelope);
each scenario subclasses it. Later ones (shopper, flash sale, coupon drop) are
more subclasses; pick some on the command line by class name, e.g.
``locust -f locustfile.py AccountUser``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from locust import HttpUser, between, task
from locust.exception import StopUser

API = "/api/v1"
PASSWORD = "Locust-pass-2026!"


def _envelope_error_code(response: Any) -> str:
    """The ``code`` of the API's ``{"error": {"code", "message", "details"}}``.

    Only the code: messages vary (e.g. a throttle's wait time) and would split
    Locust's error report into one row per distinct text."""
    try:
        return str(response.json()["error"]["code"])
    except Exception:  # not JSON, or not the envelope (a proxy's page, a crash)
        return "no_error_envelope"


class ApiUser(HttpUser):
    """Shared plumbing for the API's scenarios. Not run by itself."""

    abstract = True
    wait_time = between(1, 3)

    email: str | None = None
    access_token: str | None = None
    refresh_token: str | None = None

    # --- requests ------------------------------------------------------------

    @property
    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"} if self.access_token else {}

    def api_request(
        self,
        method: str,
        path: str,
        *,
        name: str,
        expect: Iterable[int] = (200,),
        refusals: Iterable[str] = (),
        auth: bool = True,
        **kwargs: Any,
    ) -> Any | None:
        """Send a request; a status outside ``expect`` is a failure named by the
        envelope's error code. Returns the parsed JSON body on success (None if
        the body is not JSON), None on failure.

        ``refusals``: error codes that are the business saying no (sold out,
        card declined), not a fault: a 4xx with one of them is counted under
        its own name, "<name> refused: <code>", as a success, and returns None."""
        headers = {**(self.auth_headers if auth else {}), **kwargs.pop("headers", {})}
        with self.client.request(
            method, path, name=name, headers=headers, catch_response=True, **kwargs
        ) as response:
            if response.status_code not in tuple(expect):
                code = _envelope_error_code(response)
                if 400 <= response.status_code < 500 and code in tuple(refusals):
                    response.request_meta["name"] = f"{name} refused: {code}"
                    response.success()
                else:
                    response.failure(f"HTTP {response.status_code} {code}")
                return None
            response.success()
            try:
                return response.json()
            except Exception:
                return None

    # --- accounts -------------------------------------------------------------

    def signup(self) -> bool:
        self.email = f"load-{uuid.uuid4().hex}@example.com"
        body = self.api_request(
            "POST",
            f"{API}/auth/signup/",
            name=f"{API}/auth/signup/",
            expect=(201,),
            auth=False,
            json={"email": self.email, "password": PASSWORD, "password_confirm": PASSWORD},
        )
        return body is not None

    def login(self) -> bool:
        body = self.api_request(
            "POST",
            f"{API}/auth/token/",
            name=f"{API}/auth/token/",
            auth=False,
            json={"email": self.email, "password": PASSWORD},
        )
        return self._store_tokens(body)

    def refresh_tokens(self) -> bool:
        body = self.api_request(
            "POST",
            f"{API}/auth/token/refresh/",
            name=f"{API}/auth/token/refresh/",
            auth=False,
            json={"refresh": self.refresh_token},
        )
        # Refresh tokens rotate: the old one is blacklisted, keep the new pair.
        return self._store_tokens(body)

    def _store_tokens(self, body: Any) -> bool:
        if not body or "access" not in body or "refresh" not in body:
            return False
        self.access_token, self.refresh_token = body["access"], body["refresh"]
        return True

    def signup_and_login(self) -> None:
        """Start as a fresh authenticated user; stop this user if that fails
        (the failure is already in the statistics)."""
        if not (self.signup() and self.login()):
            raise StopUser()


class AccountUser(ApiUser):
    """A signed-in user: reads their profile, rotates tokens, glances at the docs."""

    def on_start(self) -> None:
        self.signup_and_login()

    @task(5)
    def me(self) -> None:
        self.api_request("GET", f"{API}/auth/me/", name=f"{API}/auth/me/")

    @task(1)
    def token_refresh(self) -> None:
        if not self.refresh_tokens():
            # A lost pair (e.g. a rotation answered after a timeout): log in again.
            self.login()

    @task(1)
    def browse_docs(self) -> None:
        self.api_request("GET", "/api/schema/", name="/api/schema/", auth=False)
        self.api_request("GET", "/api/docs/", name="/api/docs/", auth=False)

    @task(1)
    def healthz(self) -> None:
        self.api_request("GET", "/healthz/", name="/healthz/", auth=False)


SEARCH_WORDS = ("chair", "lamp", "oak", "ceramic", "waterproof", "kitchen", "wool", "travel")


class CatalogBrowser(ApiUser):
    """An anonymous shopper browsing the catalog: pages, searches, filters, deep
    pages by cursor, and availability of what they look at. No sign-up."""

    def on_start(self) -> None:
        self.product_ids: list[str] = []
        self.next_page: str | None = None

    def _remember(self, body: Any) -> None:
        if body and body.get("results"):
            self.product_ids = [row["id"] for row in body["results"]][:20]
            self.next_page = body.get("next")

    @task(4)
    def first_page(self) -> None:
        self._remember(
            self.api_request("GET", f"{API}/products/", name="products: first page", auth=False)
        )

    @task(3)
    def next_page_by_cursor(self) -> None:
        if self.next_page:
            self._remember(
                self.api_request("GET", self.next_page, name="products: next page", auth=False)
            )

    @task(3)
    def search(self) -> None:
        word = SEARCH_WORDS[uuid.uuid4().int % len(SEARCH_WORDS)]
        self._remember(
            self.api_request(
                "GET", f"{API}/products/", name="products: search", auth=False, params={"q": word}
            )
        )

    @task(2)
    def price_range(self) -> None:
        self._remember(
            self.api_request(
                "GET",
                f"{API}/products/",
                name="products: price range",
                auth=False,
                params={"min_price": "20", "max_price": "80", "ordering": "price"},
            )
        )

    @task(4)
    def availability(self) -> None:
        if self.product_ids:
            product_id = self.product_ids[uuid.uuid4().int % len(self.product_ids)]
            self.api_request(
                "GET",
                f"{API}/products/{product_id}/availability/",
                name="availability: one product",
                auth=False,
            )

    @task(1)
    def bulk_availability(self) -> None:
        if self.product_ids:
            self.api_request(
                "POST",
                f"{API}/stock/availability/",
                name="availability: bulk",
                auth=False,
                json={"product_ids": self.product_ids},
            )


class Shopper(ApiUser):
    """A signed-in shopper: browses, checks availability, reserves a cart, then
    confirms (pays), cancels, or walks away and lets the hold expire."""

    def on_start(self) -> None:
        self.signup_and_login()
        body = self.api_request(
            "GET",
            f"{API}/products/",
            name="products: first page",
            auth=False,
            params={"status": "active", "page_size": 50},
        )
        self.catalog = [row["id"] for row in (body or {}).get("results", [])]

    @task
    def shop(self) -> None:
        if not self.catalog:
            return
        picks = {self.catalog[uuid.uuid4().int % len(self.catalog)] for _ in range(2)}
        for product_id in picks:
            self.api_request(
                "GET",
                f"{API}/products/{product_id}/availability/",
                name="availability: one product",
                auth=False,
            )
        held = self.api_request(
            "POST",
            f"{API}/reservations/",
            name="reservations: create",
            expect=(201, 409),
            json={
                "order_id": uuid.uuid4().hex,
                "lines": [{"product_id": pid, "quantity": 1} for pid in picks],
            },
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
        if not held or "id" not in held:
            return  # sold out: the 409 is an expected answer, counted as success
        outcome = uuid.uuid4().int % 10
        if outcome < 6:
            self.api_request(
                "POST", f"{API}/reservations/{held['id']}/confirm/", name="reservations: confirm"
            )
        elif outcome < 9:
            self.api_request(
                "POST", f"{API}/reservations/{held['id']}/cancel/", name="reservations: cancel"
            )
        # else: abandoned; the hold expires on its own


class Buyer(ApiUser):
    """The whole journey of a paying shopper: browse, look at availability,
    reserve one or two products, check out by card (the fake gateway's tokens:
    mostly approved, one in ten declined), sometimes spend a point, read the
    order, and now and then ask for a refund. Sold out, a declined card and
    too few points are the business saying no: each is counted under its own
    "refused: <code>" name, not as a failure."""

    def on_start(self) -> None:
        self.signup_and_login()
        body = self.api_request(
            "GET",
            f"{API}/products/",
            name="products: first page",
            auth=False,
            params={"status": "active", "page_size": 50},
        )
        self.catalog = [row["id"] for row in (body or {}).get("results", [])]
        if not self.catalog:
            raise StopUser()

    def _pick(self) -> str:
        return self.catalog[uuid.uuid4().int % len(self.catalog)]

    @task(3)
    def browse(self) -> None:
        word = SEARCH_WORDS[uuid.uuid4().int % len(SEARCH_WORDS)]
        self.api_request(
            "GET", f"{API}/products/", name="products: search", auth=False, params={"q": word}
        )
        self.api_request(
            "GET",
            f"{API}/products/{self._pick()}/availability/",
            name="availability: one product",
            auth=False,
        )

    @task(2)
    def buy(self) -> None:
        picks = {self._pick() for _ in range(1 + uuid.uuid4().int % 2)}
        held = self.api_request(
            "POST",
            f"{API}/reservations/",
            name="checkout: reserve",
            expect=(201,),
            refusals=("insufficient_stock", "product_not_on_sale"),
            json={
                "order_id": uuid.uuid4().hex,
                "lines": [{"product_id": pid, "quantity": 1} for pid in picks],
            },
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
        if not held or "id" not in held:
            return
        roll = uuid.uuid4().int % 20
        order = self.api_request(
            "POST",
            f"{API}/orders/",
            name="checkout: pay",
            expect=(201,),
            refusals=("payment_declined", "insufficient_points", "reservation_expired"),
            json={
                "reservation_id": held["id"],
                "payment_method": "card",
                "payment_token": "tok_decline" if roll < 2 else "tok_approve",
                "points": 1 if roll == 2 else 0,
            },
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
        if not order:
            # Declined: the hold stays pending; give it back rather than wait.
            self.api_request(
                "POST",
                f"{API}/reservations/{held['id']}/cancel/",
                name="reservations: cancel",
                expect=(200,),
                refusals=("invalid_state",),
            )
            return
        self.api_request("GET", f"{API}/orders/{order['id']}/", name="orders: one")
        if roll >= 18:  # one in ten paid orders is refunded
            self.api_request(
                "POST",
                f"{API}/payments/{order['payment']['id']}/cancel/",
                name="checkout: refund",
                json={"reason": "changed my mind"},
            )

    @task(1)
    def my_orders(self) -> None:
        self.api_request("GET", f"{API}/orders/", name="orders: mine")
        self.api_request("GET", f"{API}/me/payments/", name="payments: mine")


class FlashSaleShopper(ApiUser):
    """Everyone wants one hot product (LOCUST_FLASH_SKU, default the demo's tent):
    reserve one unit, then confirm. Sold out answers 409 insufficient_stock."""

    wait_time = between(0.1, 0.5)

    def on_start(self) -> None:
        import os

        self.signup_and_login()
        sku = os.environ.get("LOCUST_FLASH_SKU", "TENT-2P-04")
        body = self.api_request(
            "GET", f"{API}/products/", name="products: by sku", auth=False, params={"sku": sku}
        )
        results = (body or {}).get("results") or []
        if not results:
            raise StopUser()
        self.product_id = results[0]["id"]

    @task
    def grab(self) -> None:
        held = self.api_request(
            "POST",
            f"{API}/reservations/",
            name="flash: reserve",
            expect=(201, 409),
            json={
                "order_id": uuid.uuid4().hex,
                "lines": [{"product_id": self.product_id, "quantity": 1}],
            },
        )
        if held and "id" in held:
            self.api_request(
                "POST",
                f"{API}/reservations/{held['id']}/confirm/",
                name="flash: confirm",
                expect=(200, 409),
            )


class PointsUser(ApiUser):
    """A customer looking at their points: balance, history, and a use at
    checkout. A new account holds no points (earning is for staff), so uses are
    expected to answer 409 `insufficient_points` unless staff credited it; any
    other answer, and a 200 in particular, is a failure."""

    def on_start(self) -> None:
        self.signup_and_login()

    @task(4)
    def balance(self) -> None:
        self.api_request("GET", f"{API}/points/balance/", name="points: balance")

    @task(2)
    def history(self) -> None:
        self.api_request("GET", f"{API}/points/history/", name="points: history")

    @task(1)
    def use(self) -> None:
        self.api_request(
            "POST",
            f"{API}/points/use/",
            name="points: use",
            expect=(201, 409),
            json={"amount": 1, "description": "locust checkout"},
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )


class CouponDropUser(ApiUser):
    """A limited coupon drop: everyone presses "claim" within seconds. The drop is
    LOCUST_COUPON_ID, else the first active coupon. Each user claims until they
    get a definitive answer: issued (201), already_issued or sold_out (409);
    coupon_not_active (before the start) is retried. Then they look at their
    wallet and watch the remaining count, as the event page does."""

    wait_time = between(0.05, 0.3)

    def on_start(self) -> None:
        import os

        self.signup_and_login()
        self.coupon_id = os.environ.get("LOCUST_COUPON_ID")
        if not self.coupon_id:
            body = self.api_request(
                "GET",
                f"{API}/coupons/",
                name="coupons: active",
                auth=False,
                params={"active": "true", "page_size": 1},
            )
            results = (body or {}).get("results") or []
            if not results:
                raise StopUser()
            self.coupon_id = results[0]["id"]
        self.settled = False

    @task(10)
    def claim(self) -> None:
        if self.settled:
            return
        with self.client.post(
            f"{API}/coupons/{self.coupon_id}/issue/",
            name="coupon drop: claim",
            headers={**self.auth_headers, "Idempotency-Key": uuid.uuid4().hex},
            catch_response=True,
        ) as response:
            code = _envelope_error_code(response) if response.status_code != 201 else "issued"
            if code in ("issued", "already_issued", "sold_out"):
                response.success()
                self.settled = True
            elif code == "coupon_not_active":
                response.success()  # not started yet: press again
            else:
                response.failure(f"HTTP {response.status_code} {code}")

    @task(2)
    def watch_remaining(self) -> None:
        self.api_request(
            "GET", f"{API}/coupons/{self.coupon_id}/", name="coupon drop: remaining", auth=False
        )

    @task(1)
    def wallet(self) -> None:
        if self.settled:
            self.api_request("GET", f"{API}/me/coupons/", name="coupon drop: my coupons")
