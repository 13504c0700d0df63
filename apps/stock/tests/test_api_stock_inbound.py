"""Inbound stock over HTTP: POST /api/v1/stock/inbound/, and the Idempotency-Key
(apps.core.idempotency) as exercised on it."""

import uuid

import pytest

from apps.accounts.tests.helpers import UserFactory
from apps.core.tests.helpers import assert_envelope, client_for
from apps.ledger.models import StockMovement
from apps.stock.models import Stock
from apps.stock.tests.helpers import ADJUST, INBOUND, hold, stock_of

pytestmark = pytest.mark.django_db


def _inbound(client, product, code="SEL-1", quantity=5, **extra):
    body = {"product_id": str(product.pk), "warehouse": code, "quantity": quantity, **extra}
    return client.post(INBOUND, body, format="json")


# --- inbound -----------------------------------------------------------------


def test_inbound_creates_the_stock_row_and_its_movement(
    warehouse_client, warehouse_admin, product, warehouse
):
    # when
    response = _inbound(warehouse_client, product, "sel-1", 7, reason="PO", reference="PO-1")
    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["stock"] | {"id": 0, "updated_at": ""} == {
        "id": 0,
        "product_id": str(product.pk),
        "warehouse": "SEL-1",
        "on_hand": 7,
        "reserved": 0,
        "available": 7,
        "min_stock_level": 0,
        "reorder_point": 0,
        "low_stock": False,
        "updated_at": "",
    }
    movement = body["movement"]
    assert (movement["type"], movement["on_hand_delta"], movement["reserved_delta"]) == (
        "inbound",
        7,
        0,
    )
    assert (movement["on_hand_after"], movement["reserved_after"]) == (7, 0)
    assert (movement["reason"], movement["reference"]) == ("PO", "PO-1")
    assert movement["actor_id"] == warehouse_admin.pk
    assert movement["reservation_id"] is None


def test_inbound_adds_to_an_existing_row(warehouse_client, product, warehouse):
    _inbound(warehouse_client, product, quantity=3)
    body = _inbound(warehouse_client, product, quantity=4).json()
    assert body["stock"]["on_hand"] == 7
    assert body["movement"]["on_hand_after"] == 7
    assert Stock.objects.count() == 1
    assert StockMovement.objects.count() == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("quantity", 0),
        ("quantity", -1),
        ("quantity", "abc"),
        ("quantity", 1.5),
        ("quantity", 10**12),
        ("quantity", None),
        ("quantity", [1]),
        ("quantity", True),
        ("product_id", "not-a-uuid"),
        ("product_id", 12),
        ("warehouse", ""),
        ("warehouse", "x" * 33),
        ("reason", "r" * 256),
    ],
)
def test_inbound_rejects_bad_input_with_400_and_moves_nothing(
    warehouse_client, product, warehouse, field, value
):
    body = {"product_id": str(product.pk), "warehouse": "SEL-1", "quantity": 5, field: value}
    response = warehouse_client.post(INBOUND, body, format="json")
    error = assert_envelope(response, 400, "invalid")
    assert field in error["details"]
    assert not StockMovement.objects.exists()


@pytest.mark.parametrize("missing", ["product_id", "warehouse", "quantity"])
def test_inbound_rejects_a_missing_field(warehouse_client, product, warehouse, missing):
    body = {"product_id": str(product.pk), "warehouse": "SEL-1", "quantity": 5}
    del body[missing]
    error = assert_envelope(warehouse_client.post(INBOUND, body, format="json"), 400, "invalid")
    assert list(error["details"]) == [missing]


def test_inbound_returns_404_for_an_unknown_product_or_warehouse(
    warehouse_client, product, warehouse
):
    unknown = warehouse_client.post(
        INBOUND,
        {"product_id": str(uuid.uuid4()), "warehouse": "SEL-1", "quantity": 1},
        format="json",
    )
    assert_envelope(unknown, 404, "not_found")
    assert_envelope(_inbound(warehouse_client, product, code="NOPE-9"), 404, "not_found")
    assert not Stock.objects.exists()


def test_inbound_needs_the_warehouse_admin_role(
    api_client, user_client, staff_client, product, warehouse
):
    assert_envelope(_inbound(api_client, product), 401, "not_authenticated")
    assert_envelope(_inbound(user_client, product), 403, "permission_denied")
    assert_envelope(_inbound(staff_client, product), 403, "permission_denied")
    superuser = client_for(UserFactory(is_superuser=True))
    assert _inbound(superuser, product).status_code == 201


# --- idempotency (apps.core.idempotency, exercised on inbound) ----------------


def test_inbound_with_the_same_key_and_body_is_replayed_not_repeated(
    warehouse_client, product, warehouse
):
    # given
    headers = {"HTTP_IDEMPOTENCY_KEY": "po-7781-line-1"}
    body = {"product_id": str(product.pk), "warehouse": "SEL-1", "quantity": 5}
    first = warehouse_client.post(INBOUND, body, format="json", **headers)
    # when
    again = warehouse_client.post(INBOUND, body, format="json", **headers)
    # then
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Stock.objects.get().on_hand == 5
    assert StockMovement.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_idempotent_inbound_is_rendered_after_its_commit(
    warehouse_client, product, warehouse, monkeypatch
):
    # given a serializer that notes whether a transaction (and its row lock) is open
    from django.db import connection

    from apps.stock import serializers

    seen = []
    render = serializers.StockChangeOutputSerializer.to_representation

    def noting(self, instance):
        seen.append(connection.in_atomic_block)
        return render(self, instance)

    monkeypatch.setattr(serializers.StockChangeOutputSerializer, "to_representation", noting)
    body = {"product_id": str(product.pk), "warehouse": "SEL-1", "quantity": 5}
    # when
    response = warehouse_client.post(INBOUND, body, format="json", HTTP_IDEMPOTENCY_KEY="after")
    # then
    assert response.status_code == 201
    assert seen == [False]


def test_inbound_with_the_same_key_and_another_body_is_422(warehouse_client, product, warehouse):
    headers = {"HTTP_IDEMPOTENCY_KEY": "k-1"}
    _inbound(warehouse_client, product, quantity=5)  # no key: unrelated
    warehouse_client.post(
        INBOUND,
        {"product_id": str(product.pk), "warehouse": "SEL-1", "quantity": 1},
        format="json",
        **headers,
    )
    response = warehouse_client.post(
        INBOUND,
        {"product_id": str(product.pk), "warehouse": "SEL-1", "quantity": 2},
        format="json",
        **headers,
    )
    assert_envelope(response, 422, "idempotency_key_mismatch")
    assert Stock.objects.get().on_hand == 6


def test_business_failures_are_replayed_too(warehouse_client, product, warehouse):
    # given an adjust refused because holds need more than the count
    hold(stock_of(product, warehouse, 10), 4)
    body = {"product_id": str(product.pk), "warehouse": "SEL-1", "on_hand": 2, "reason": "count"}
    headers = {"HTTP_IDEMPOTENCY_KEY": "count-1"}
    first = warehouse_client.post(ADJUST, body, format="json", **headers)
    # when the hold is gone and the same request is retried
    from apps.reservations.services import reservation_cancel
    from apps.stock.models import Reservation

    held = Reservation.objects.get()
    reservation_cancel(reservation_id=held.pk, user=held.user)
    again = warehouse_client.post(ADJUST, body, format="json", **headers)
    # then the stored refusal is replayed, not re-decided
    assert_envelope(first, 409, "below_reserved")
    assert again.status_code == 409 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Stock.objects.get().on_hand == 10


def test_validation_failures_are_not_stored_so_a_corrected_retry_works(
    warehouse_client, product, warehouse
):
    headers = {"HTTP_IDEMPOTENCY_KEY": "fix-me"}
    bad = warehouse_client.post(
        INBOUND,
        {"product_id": str(product.pk), "warehouse": "SEL-1", "quantity": 0},
        format="json",
        **headers,
    )
    good = warehouse_client.post(
        INBOUND,
        {"product_id": str(product.pk), "warehouse": "SEL-1", "quantity": 3},
        format="json",
        **headers,
    )
    assert bad.status_code == 400
    assert good.status_code == 201 and "Idempotent-Replayed" not in good


def test_idempotency_keys_are_scoped_to_the_caller(product, warehouse):
    # given two warehouse admins using the same key
    first, second = (client_for(UserFactory(is_warehouse_admin=True)) for _ in range(2))
    body = {"product_id": str(product.pk), "warehouse": "SEL-1", "quantity": 2}
    # when
    a = first.post(INBOUND, body, format="json", HTTP_IDEMPOTENCY_KEY="same")
    b = second.post(INBOUND, body, format="json", HTTP_IDEMPOTENCY_KEY="same")
    # then both happened
    assert a.status_code == b.status_code == 201
    assert "Idempotent-Replayed" not in b
    assert Stock.objects.get().on_hand == 4


@pytest.mark.parametrize("key", ["", "x" * 256, "café", "tab\there"])
def test_a_malformed_idempotency_key_is_400(warehouse_client, product, warehouse, key):
    response = warehouse_client.post(
        INBOUND,
        {"product_id": str(product.pk), "warehouse": "SEL-1", "quantity": 1},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    error = assert_envelope(response, 400, "invalid")
    assert "Idempotency-Key" in error["details"]
    assert not StockMovement.objects.exists()
