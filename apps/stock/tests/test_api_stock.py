import uuid

import pytest
from django.db import DatabaseError, transaction

from apps.accounts.tests.helpers import UserFactory
from apps.core.tests.helpers import assert_envelope, client_for
from apps.ledger.models import StockMovement
from apps.products.tests.helpers import ProductFactory, WarehouseFactory
from apps.stock.models import Stock
from apps.stock.tests.helpers import hold, stock_of

pytestmark = pytest.mark.django_db

INBOUND, ADJUST, STOCK, MOVEMENTS, BULK = (
    "/api/v1/stock/inbound/",
    "/api/v1/stock/adjust/",
    "/api/v1/stock/",
    "/api/v1/stock/movements/",
    "/api/v1/stock/availability/",
)


@pytest.fixture
def product():
    return ProductFactory()


@pytest.fixture
def warehouse():
    return WarehouseFactory(code="SEL-1", priority=10)


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


# --- adjust ------------------------------------------------------------------


def test_adjust_sets_the_counted_quantity_and_records_the_difference(
    warehouse_client, product, warehouse
):
    stock_of(product, warehouse, 10)
    response = warehouse_client.post(
        ADJUST,
        {
            "product_id": str(product.pk),
            "warehouse": "SEL-1",
            "on_hand": 7,
            "reason": "cycle count",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["stock"]["on_hand"] == 7
    assert (body["movement"]["type"], body["movement"]["on_hand_delta"]) == ("adjust", -3)
    assert body["movement"]["reason"] == "cycle count"


def test_adjust_creates_a_row_that_did_not_exist(warehouse_client, product, warehouse):
    response = warehouse_client.post(
        ADJUST,
        {"product_id": str(product.pk), "warehouse": "SEL-1", "on_hand": 4, "reason": "found"},
        format="json",
    )
    assert response.status_code == 201
    assert Stock.objects.get().on_hand == 4


def test_adjust_below_reserved_is_409_and_changes_nothing(warehouse_client, product, warehouse):
    hold(stock_of(product, warehouse, 10), 6)
    response = warehouse_client.post(
        ADJUST,
        {"product_id": str(product.pk), "warehouse": "SEL-1", "on_hand": 5, "reason": "count"},
        format="json",
    )
    error = assert_envelope(response, 409, "below_reserved")
    assert error["details"]["reserved"] == 6
    assert Stock.objects.get().on_hand == 10


@pytest.mark.parametrize("on_hand", [-1, 10**12, "ten", None])
def test_adjust_rejects_bad_counts(warehouse_client, product, warehouse, on_hand):
    response = warehouse_client.post(
        ADJUST,
        {
            "product_id": str(product.pk),
            "warehouse": "SEL-1",
            "on_hand": on_hand,
            "reason": "count",
        },
        format="json",
    )
    assert "on_hand" in assert_envelope(response, 400, "invalid")["details"]


def test_adjust_needs_a_reason(warehouse_client, product, warehouse):
    response = warehouse_client.post(
        ADJUST,
        {"product_id": str(product.pk), "warehouse": "SEL-1", "on_hand": 1},
        format="json",
    )
    assert "reason" in assert_envelope(response, 400, "invalid")["details"]


# --- availability ------------------------------------------------------------


@pytest.fixture(params=["prepared", "portable"])
def availability_path(request, monkeypatch):
    """The prepared statement of PostgreSQL, and the ORM version the embedded
    default runs, must answer the same."""
    from apps.stock import availability

    if request.param == "portable":
        monkeypatch.setattr(availability, "_rendered_sql", availability._rendered_portable)
    return request.param


@pytest.mark.usefixtures("availability_path")
def test_availability_lists_active_warehouses_by_priority(api_client, product):
    # given
    first, second = WarehouseFactory(code="B-1", priority=1), WarehouseFactory(priority=5)
    closed = WarehouseFactory(priority=0, is_active=False)
    stock_of(product, second, 5)
    hold(stock_of(product, first, 8), 3)
    stock_of(product, closed, 100)
    # when
    body = api_client.get(f"/api/v1/products/{product.pk}/availability/").json()
    # then
    assert body == {
        "product_id": str(product.pk),
        "on_hand": 13,
        "reserved": 3,
        "available": 10,
        "warehouses": [
            {"code": "B-1", "on_hand": 8, "reserved": 3, "available": 5},
            {"code": second.code, "on_hand": 5, "reserved": 0, "available": 5},
        ],
    }


@pytest.mark.usefixtures("availability_path")
def test_availability_of_a_product_without_stock_is_zero(api_client, product):
    body = api_client.get(f"/api/v1/products/{product.pk}/availability/").json()
    assert body == {
        "product_id": str(product.pk),
        "on_hand": 0,
        "reserved": 0,
        "available": 0,
        "warehouses": [],
    }


@pytest.mark.usefixtures("availability_path")
def test_availability_of_an_unknown_product_is_404(api_client):
    response = api_client.get(f"/api/v1/products/{uuid.uuid4()}/availability/")
    assert_envelope(response, 404, "not_found")


def test_bulk_availability_keeps_the_order_and_names_unknown_ids(
    api_client, warehouse, django_assert_num_queries, availability_path
):
    # given
    products = ProductFactory.create_batch(3)
    for i, p in enumerate(products):
        stock_of(p, warehouse, i + 1)
    unknown = uuid.uuid4()
    ids = [str(products[2].pk), str(unknown), str(products[0].pk), str(products[0].pk)]
    # when (one query; two on the portable path)
    with django_assert_num_queries(2 if availability_path == "portable" else 1):
        response = api_client.post(BULK, {"product_ids": ids}, format="json")
    # then
    body = response.json()
    assert [r["product_id"] for r in body["results"]] == [str(products[2].pk), str(products[0].pk)]
    assert [r["available"] for r in body["results"]] == [3, 1]
    assert body["not_found"] == [str(unknown)]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"product_ids": []},
        {"product_ids": ["nope"]},
        {"product_ids": "abc"},
        {"product_ids": [str(uuid.uuid4()) for _ in range(501)]},
        {"product_ids": None},
    ],
)
def test_bulk_availability_rejects_bad_input(api_client, body):
    error = assert_envelope(api_client.post(BULK, body, format="json"), 400, "invalid")
    assert "product_ids" in error["details"]


def test_single_availability_is_one_query(
    api_client, product, warehouse, django_assert_num_queries
):
    stock_of(product, warehouse, 3)
    with django_assert_num_queries(1):
        assert api_client.get(f"/api/v1/products/{product.pk}/availability/").status_code == 200


# --- stock list, levels ------------------------------------------------------


def test_stock_list_filters_low_stock_and_warehouse(
    warehouse_client, warehouse, django_assert_num_queries
):
    # given one row at its reorder point and one well above it
    low, plenty = ProductFactory(), ProductFactory()
    low_stock = stock_of(low, warehouse, 5)
    Stock.objects.filter(pk=low_stock.pk).update(reorder_point=5)
    stock_of(plenty, warehouse, 50)
    stock_of(plenty, WarehouseFactory(code="OTHER-1"), 1)
    # when: one query for the page (the JWT is trusted without a user query)
    with django_assert_num_queries(1):
        rows = warehouse_client.get(STOCK, {"low_stock": "true", "warehouse": "sel-1"}).json()
    # then
    assert [r["product_id"] for r in rows["results"]] == [str(low.pk)]
    assert rows["results"][0]["low_stock"] is True
    assert len(warehouse_client.get(STOCK, {"warehouse": "SEL-1"}).json()["results"]) == 2
    assert len(warehouse_client.get(STOCK, {"product_id": str(plenty.pk)}).json()["results"]) == 2


@pytest.mark.parametrize("query", [{"product_id": "x"}, {"low_stock": "maybe"}])
def test_stock_list_rejects_bad_filters(warehouse_client, query):
    assert_envelope(warehouse_client.get(STOCK, query), 400, "invalid")


def test_stock_list_is_for_warehouse_admins(user_client, staff_client):
    assert_envelope(user_client.get(STOCK), 403, "permission_denied")
    assert_envelope(staff_client.get(STOCK), 403, "permission_denied")


def test_patch_sets_alert_levels_and_never_counts(warehouse_client, product, warehouse):
    stock = stock_of(product, warehouse, 9)
    response = warehouse_client.patch(
        f"{STOCK}{stock.pk}/", {"reorder_point": 10, "on_hand": 999}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["reorder_point"], response.json()["on_hand"]) == (10, 9)
    assert response.json()["low_stock"] is True


@pytest.mark.parametrize(
    "body", [{"reorder_point": -1}, {"min_stock_level": "x"}, {"reorder_point": 2**40}]
)
def test_patch_rejects_bad_levels(warehouse_client, product, warehouse, body):
    stock = stock_of(product, warehouse, 1)
    assert_envelope(
        warehouse_client.patch(f"{STOCK}{stock.pk}/", body, format="json"), 400, "invalid"
    )


def test_patch_unknown_or_huge_stock_id_is_404(warehouse_client):
    assert_envelope(warehouse_client.patch(f"{STOCK}987654/", {}, format="json"), 404, "not_found")
    response = warehouse_client.get(f"{STOCK}{10**30}/")
    assert response.status_code == 404


# --- the ledger --------------------------------------------------------------


def test_movements_are_listed_newest_first_with_filters(warehouse_client, warehouse):
    a, b = ProductFactory(), ProductFactory()
    stock_of(a, warehouse, 1)
    stock_of(b, warehouse, 2)
    hold(Stock.objects.get(product=b), 1)
    rows = warehouse_client.get(MOVEMENTS).json()["results"]
    assert [r["type"] for r in rows] == ["reserve", "inbound", "inbound"]
    only_b = warehouse_client.get(MOVEMENTS, {"product_id": str(b.pk), "type": "inbound"})
    assert [r["on_hand_delta"] for r in only_b.json()["results"]] == [2]
    later = warehouse_client.get(MOVEMENTS, {"created_after": "2999-01-01T00:00:00Z"})
    assert later.json()["results"] == []


@pytest.mark.parametrize(
    "query", [{"type": "stolen"}, {"created_after": "yesterday"}, {"product_id": "1"}]
)
def test_movements_reject_bad_filters(warehouse_client, query):
    assert_envelope(warehouse_client.get(MOVEMENTS, query), 400, "invalid")


def test_the_ledger_refuses_update_and_delete_in_the_database(product, warehouse):
    stock_of(product, warehouse, 1)
    movement = StockMovement.objects.get()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        StockMovement.objects.filter(pk=movement.pk).update(on_hand_delta=100)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        StockMovement.objects.filter(pk=movement.pk).delete()
    assert StockMovement.objects.get().on_hand_delta == 1


def test_availability_renders_exactly_what_its_declared_fields_render(product):
    import json

    from rest_framework.renderers import JSONRenderer

    from apps.stock.selectors import availability_get
    from apps.stock.serializers import ProductAvailabilityOutputSerializer

    # given a product in two warehouses, one with a hold
    hold(stock_of(product, WarehouseFactory(priority=1), 8), 3)
    stock_of(product, WarehouseFactory(priority=2), 5)
    availability = availability_get(product_id=product.pk)
    # when rendered by the lean method and by DRF's fields
    serializer = ProductAvailabilityOutputSerializer(availability)
    declared = super(ProductAvailabilityOutputSerializer, serializer).to_representation(
        availability
    )
    # then the response carries the same
    assert serializer.data == json.loads(JSONRenderer().render(declared))
    assert [w["available"] for w in serializer.data["warehouses"]] == [5, 5]


def test_availability_responses_are_the_same_bytes_on_both_paths_and_as_drf_renders_them(
    api_client, monkeypatch
):
    # given a product with a live hold, an expired one not yet swept, stock in a
    # closed warehouse and two warehouses of one priority; one without stock;
    # one deleted
    from datetime import timedelta

    from django.utils import timezone
    from rest_framework.renderers import JSONRenderer

    from apps.reservations.tests.helpers import reserve
    from apps.stock.models import Reservation, ReservationLine
    from apps.stock.selectors import availability_bulk, availability_get
    from apps.stock.serializers import (
        BulkAvailabilityOutputSerializer,
        ProductAvailabilityOutputSerializer,
    )

    held, empty, gone = ProductFactory.create_batch(3)
    first, twin = WarehouseFactory(code="TIE-B", priority=1), WarehouseFactory(code="TIE-A")
    twin.priority = 1
    twin.save()
    stock_of(held, first, 8)
    stock_of(held, twin, 4)
    stock_of(held, WarehouseFactory(priority=0, is_active=False), 100)
    reserve(held, 2, warehouse=first)
    due = reserve(held, 3, warehouse=twin)
    past = timezone.now() - timedelta(seconds=1)
    Reservation.objects.filter(pk=due.pk).update(expires_at=past)
    ReservationLine.objects.filter(reservation_id=due.pk).update(expires_at=past)
    gone.deleted_at = timezone.now()
    gone.save()
    unknown = uuid.uuid4()
    ids = [held.pk, unknown, empty.pk, gone.pk, held.pk]

    def ask():
        one = api_client.get(f"/api/v1/products/{held.pk}/availability/")
        bulk = api_client.post(BULK, {"product_ids": [str(i) for i in ids]}, format="json")
        return one, bulk

    # when asked of PostgreSQL's statement, then through the selectors
    from apps.stock import availability

    one, bulk = ask()
    monkeypatch.setattr(availability, "_rendered_sql", availability._rendered_portable)
    portable = ask()
    # then both paths answer the same bytes
    assert (one.content, bulk.content) == (portable[0].content, portable[1].content)
    # and each is what DRF renders from the selectors' figures, byte for byte
    expected = ProductAvailabilityOutputSerializer(availability_get(product_id=held.pk)).data
    assert one.content == JSONRenderer().render(expected)
    assert one.json()["reserved"] == 2 and one.json()["available"] == 10
    results, not_found = availability_bulk(product_ids=ids)
    expected = BulkAvailabilityOutputSerializer({"results": results, "not_found": not_found}).data
    assert bulk.content == JSONRenderer().render(expected)
    assert [r["product_id"] for r in bulk.json()["results"]] == [str(held.pk), str(empty.pk)]
    assert bulk.json()["not_found"] == [str(unknown), str(gone.pk)]
    assert (one["Content-Type"], bulk["Content-Type"]) == ("application/json",) * 2


GOOD_ID = "9b2f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4"


@pytest.mark.parametrize(
    "body",
    [
        {"product_ids": [GOOD_ID]},
        {"product_ids": [GOOD_ID.upper(), GOOD_ID.replace("-", ""), f"{{{GOOD_ID}}}"]},
        {"product_ids": [f"urn:uuid:{GOOD_ID}"], "other": 1},
        {"product_ids": [GOOD_ID] * 500},
        {"product_ids": [GOOD_ID] * 501},
        {"product_ids": []},
        {"product_ids": [GOOD_ID, 7]},
        {"product_ids": [GOOD_ID, "nope"]},
        {"product_ids": [GOOD_ID, None]},
        {"product_ids": [[GOOD_ID]]},
        {"product_ids": GOOD_ID},
        {"product_ids": {"0": GOOD_ID}},
        {"other": [GOOD_ID]},
        [GOOD_ID],
        "text",
    ],
)
def test_bulk_ids_are_read_as_the_serializer_reads_them(body):
    from rest_framework.exceptions import ValidationError

    from apps.stock.serializers import BulkAvailabilityInputSerializer, bulk_product_ids

    def outcome(read):
        try:
            return read()
        except ValidationError as error:
            return error.detail

    serializer = BulkAvailabilityInputSerializer(data=body)

    def by_serializer():
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data["product_ids"]

    assert outcome(lambda: bulk_product_ids(body)) == outcome(by_serializer)


def test_stock_and_ledger_render_exactly_what_their_declared_fields_render(
    product, warehouse_admin
):
    from rest_framework import serializers
    from rest_framework.renderers import JSONRenderer

    from apps.stock.serializers import StockMovementOutputSerializer, StockOutputSerializer
    from apps.stock.services import stock_adjust

    # given a row with a hold, and movements with and without an actor and a reservation
    stock = hold(stock_of(product, WarehouseFactory(), 8), 3)
    Stock.objects.filter(pk=stock.pk).update(reorder_point=9)
    stock = Stock.objects.select_related("warehouse").get(pk=stock.pk)
    stock_adjust(
        product_id=product.pk,
        warehouse_code=stock.warehouse.code,
        on_hand=7,
        actor_id=warehouse_admin.pk,
        reason="count",
    )
    movements = list(StockMovement.objects.select_related("warehouse").order_by("id"))
    assert {m.reservation_id is None for m in movements} == {True, False}
    assert {m.actor_id is None for m in movements} == {True, False}
    # when rendered by the lean methods and by DRF's fields, then the bytes agree
    render = JSONRenderer().render
    for serializer_class, instances in (
        (StockOutputSerializer, [stock]),
        (StockMovementOutputSerializer, movements),
    ):
        serializer = serializer_class()
        for instance in instances:
            generic = serializers.ModelSerializer.to_representation(serializer, instance)
            assert render(serializer.to_representation(instance)) == render(generic)
    assert StockOutputSerializer(stock).data["low_stock"] is True
