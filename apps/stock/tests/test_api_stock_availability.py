"""Availability over HTTP: GET /api/v1/products/{id}/availability/ and POST
/api/v1/stock/availability/, on both paths, as DRF would render it."""

import uuid

import pytest

from apps.core.tests.helpers import assert_envelope
from apps.products.tests.helpers import ProductFactory, WarehouseFactory
from apps.stock.tests.helpers import BULK, hold, stock_of

pytestmark = pytest.mark.django_db


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
