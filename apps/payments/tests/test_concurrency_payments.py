"""Double charges, attempted by many clients at once: one payment per
reservation whatever they do, with Redis and without it (then the partial
unique index alone keeps the promise)."""

import pytest
from django.core.cache import caches
from django.test import override_settings

from apps.core.testing import run_concurrently

from ..models import Order, Payment
from .helpers import charges, shop_with_hold

pytestmark = pytest.mark.django_db(transaction=True)

# A Redis nobody listens on: every cache call fails fast and is ignored
# (IGNORE_EXCEPTIONS), as when the real one is down.
DEAD_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": 0.2,
            "SOCKET_TIMEOUT": 0.2,
            "IGNORE_EXCEPTIONS": True,
        },
    }
}


def _storm(shop, threads: int = 10) -> list[tuple[int, str | None]]:
    def pay(i: int):
        response = shop.client.post(
            "/api/v1/orders/",
            shop.body(),
            format="json",
            HTTP_IDEMPOTENCY_KEY=f"key-{i}",
        )
        body = response.json()
        return response.status_code, body.get("error", {}).get("code")

    return run_concurrently(pay, threads=threads)


def _assert_one_payment(shop, results) -> None:
    assert all(not isinstance(r, BaseException) for r in results), results
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * (len(results) - 1), results
    assert {code for status, code in results if status == 409} <= {
        "payment_in_progress",
        "already_paid",
    }
    assert charges() == 1 and charges(status="approved") == 1
    assert Payment.objects.count() == 1 and Payment.objects.get().status == "paid"
    assert Order.objects.get().status == "paid"


def test_ten_payments_of_one_hold_with_ten_keys_charge_once():
    shop = shop_with_hold()
    _assert_one_payment(shop, _storm(shop))


def test_ten_payments_of_one_hold_charge_once_with_redis_down():
    shop = shop_with_hold()
    with override_settings(CACHES=DEAD_REDIS):  # every thread's cache is the dead one
        assert caches["default"].add("probe", 1) is None  # down, not merely empty
        results = _storm(shop)
    _assert_one_payment(shop, results)
