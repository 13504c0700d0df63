"""The first look of `make run`, on the embedded default (SQLite, local memory
cache, eager Celery): migrate, seed_demo, then every main flow through HTTP.

Run as a script by test_embedded_default.py, in a clean environment, so the
settings resolve exactly as `make run` resolves them. Prints one JSON object:
{step: [status, body]} and the audit's exit status.
"""

import io
import json
import sys

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

call_command("migrate", verbosity=0)
call_command("seed_demo", "--force", stdout=io.StringIO())

from apps.products.models import Product  # noqa: E402

results: dict[str, list] = {}


def client(**headers) -> Client:
    # A failing view answers 500 here, as it would to a browser, and the walk goes on.
    return Client(raise_request_exception=False, **headers)


def login(email: str, password: str) -> Client:
    anonymous = client()
    token = anonymous.post(
        "/api/v1/auth/token/", {"email": email, "password": password}, "application/json"
    ).json()["access"]
    return client(HTTP_AUTHORIZATION=f"Bearer {token}")


def step(name: str, response) -> dict:
    body = response.json() if response.get("Content-Type", "").endswith("json") else None
    results[name] = [response.status_code, body]
    return body or {}


customer = login("customer@example.com", "demo-customer-2026")
staff = login("staff@example.com", "demo-staff-2026")
warehouse = login("warehouse@example.com", "demo-warehouse-2026")
mug = Product.objects.get(sku="MUG-CER-03")
lamp = Product.objects.get(sku="LAMP-DESK-02")
json_type = "application/json"

step("catalog_list", client().get("/api/v1/products/?ordering=price"))
step("catalog_search", client().get("/api/v1/products/?q=mug"))
step("availability", client().get(f"/api/v1/products/{mug.pk}/availability/"))
step(
    "availability_bulk",
    client().post(
        "/api/v1/stock/availability/", {"product_ids": [str(mug.pk), str(lamp.pk)]}, json_type
    ),
)
step(
    "inbound",
    warehouse.post(
        "/api/v1/stock/inbound/",
        {"product_id": str(mug.pk), "warehouse": "SEL-1", "quantity": 5},
        json_type,
    ),
)
step(
    "adjust",
    warehouse.post(
        "/api/v1/stock/adjust/",
        {"product_id": str(mug.pk), "warehouse": "SEL-1", "on_hand": 400, "reason": "count"},
        json_type,
    ),
)
held = step(
    "reserve",
    customer.post(
        "/api/v1/reservations/",
        {"order_id": "walk-1", "lines": [{"product_id": str(mug.pk), "quantity": 450}]},
        json_type,
    ),
)
step(
    "reserve_short",
    customer.post(
        "/api/v1/reservations/",
        {"order_id": "walk-2", "lines": [{"product_id": str(lamp.pk), "quantity": 10_000}]},
        json_type,
    ),
)
step(
    "reserve_duplicate",
    customer.post(
        "/api/v1/reservations/",
        {"order_id": "walk-1", "lines": [{"product_id": str(mug.pk), "quantity": 1}]},
        json_type,
    ),
)
step(
    "extend",
    customer.post(
        f"/api/v1/reservations/{held.get('id')}/extend/", {"ttl_seconds": 600}, json_type
    ),
)
step("confirm", customer.post(f"/api/v1/reservations/{held.get('id')}/confirm/"))
second = step(
    "reserve_named_warehouse",
    customer.post(
        "/api/v1/reservations/",
        {
            "order_id": "walk-3",
            "lines": [{"product_id": str(lamp.pk), "quantity": 2, "warehouse": "ICN-1"}],
        },
        json_type,
    ),
)
step("cancel", customer.post(f"/api/v1/reservations/{second.get('id')}/cancel/"))
step("reservations_list", customer.get("/api/v1/reservations/"))
coupon = step(
    "coupon_create",
    staff.post(
        "/api/v1/coupons/",
        {
            "name": "Walkthrough",
            "discount_amount": "5.00",
            "total_quantity": 1,
            "starts_at": "2020-01-01T00:00:00Z",
            "ends_at": "2099-01-01T00:00:00Z",
        },
        json_type,
    ),
)
step("coupon_issue", customer.post(f"/api/v1/coupons/{coupon.get('id')}/issue/"))
step("coupon_sold_out", staff.post(f"/api/v1/coupons/{coupon.get('id')}/issue/"))
me = customer.get("/api/v1/auth/me/").json()
step(
    "points_earn",
    staff.post(
        "/api/v1/points/earn/",
        {"user_id": me["id"], "amount": 30, "kind": "free", "description": "welcome"},
        json_type,
    ),
)
step(
    "points_use",
    customer.post("/api/v1/points/use/", {"amount": 12, "description": "order"}, json_type),
)
step("points_balance", customer.get("/api/v1/points/balance/"))
step("movements", warehouse.get("/api/v1/stock/movements/?product_id=" + str(mug.pk)))

# Reports and alerts on SQLite, as the embedded beat runs them: the ledger
# starts today, so build today as if it were tomorrow, then read it.
from datetime import timedelta  # noqa: E402

from django.test import override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from apps.reports.days import today  # noqa: E402
from apps.reports.services import reports_build_missing, stock_alerts_sweep  # noqa: E402

built = reports_build_missing(now=timezone.now() + timedelta(days=1, hours=1))
# (the console mail backend would print the alerts' mail into this JSON)
with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
    stock_alerts_sweep()
step("report_day", warehouse.get(f"/api/v1/reports/stock-daily/?date={today()}"))
step("stock_alerts", warehouse.get("/api/v1/stock/alerts/"))

try:
    call_command("audit", stdout=io.StringIO())
    audit = 0
except SystemExit as exc:
    audit = exc.code
json.dump({"steps": results, "audit": audit, "built": sorted({b.kind for b in built})}, sys.stdout)
