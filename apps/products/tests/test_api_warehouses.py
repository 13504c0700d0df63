"""Warehouses over HTTP: /api/v1/warehouses/."""

import pytest

from apps.core.tests.helpers import assert_envelope
from apps.products.models import Warehouse
from apps.products.tests.helpers import WAREHOUSES, WarehouseFactory, warehouse_url

pytestmark = pytest.mark.django_db


# --- warehouses -------------------------------------------------------------------------


def test_warehouse_list_is_public_and_ordered_by_priority(api_client):
    # given
    second = WarehouseFactory(code="B-1", priority=20)
    third = WarehouseFactory(code="C-1", priority=30)
    first = WarehouseFactory(code="A-1", priority=10)
    # when
    response = api_client.get(WAREHOUSES)
    # then
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    assert [row["id"] for row in body["results"]] == [first.id, second.id, third.id]


def test_warehouse_create_by_staff_returns_201_with_code_upper_cased(staff_client):
    # when
    response = staff_client.post(
        WAREHOUSES,
        {"code": "sel-1", "name": "Seoul 1", "priority": 5, "is_active": False},
        format="json",
    )
    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["code"] == "SEL-1"
    assert (body["name"], body["priority"], body["is_active"]) == ("Seoul 1", 5, False)
    assert Warehouse.objects.get(pk=body["id"]).code == "SEL-1"


@pytest.mark.parametrize("code", ["SEL-1", "sel-1", "Sel-1"])
def test_warehouse_create_returns_400_when_code_exists_in_any_case(staff_client, code):
    # given
    WarehouseFactory(code="SEL-1")
    # when
    response = staff_client.post(WAREHOUSES, {"code": code, "name": "Again"}, format="json")
    # then
    error = assert_envelope(response, 400, "invalid")
    assert "code" in error["details"]
    assert Warehouse.objects.count() == 1


def test_warehouse_create_by_customer_returns_403(user_client):
    # when
    response = user_client.post(WAREHOUSES, {"code": "SEL-1", "name": "Seoul"}, format="json")
    # then
    assert_envelope(response, 403, "permission_denied")
    assert Warehouse.objects.count() == 0


@pytest.mark.parametrize("code", ["SEL 1", "S E L", "SEL\t1", "SEL_1", "", "W" * 33])
def test_warehouse_create_returns_400_when_code_is_malformed(staff_client, code):
    # when
    response = staff_client.post(WAREHOUSES, {"code": code, "name": "Seoul"}, format="json")
    # then
    error = assert_envelope(response, 400, "invalid")
    assert "code" in error["details"]
    assert Warehouse.objects.count() == 0


def test_warehouse_patch_by_staff_changes_priority(staff_client):
    # given
    warehouse = WarehouseFactory(code="SEL-1", name="Seoul", priority=10)
    # when
    response = staff_client.patch(warehouse_url(warehouse.id), {"priority": 99}, format="json")
    # then
    assert response.status_code == 200, response.content
    assert response.json()["priority"] == 99
    warehouse.refresh_from_db()
    assert (warehouse.code, warehouse.name, warehouse.priority) == ("SEL-1", "Seoul", 99)


def test_warehouse_patch_by_customer_returns_403(user_client):
    # given
    warehouse = WarehouseFactory(priority=10)
    # when
    response = user_client.patch(warehouse_url(warehouse.id), {"priority": 1}, format="json")
    # then
    assert_envelope(response, 403, "permission_denied")
    warehouse.refresh_from_db()
    assert warehouse.priority == 10


def test_warehouse_detail_is_public(api_client):
    # given
    warehouse = WarehouseFactory(code="SEL-1")
    # when
    response = api_client.get(warehouse_url(warehouse.id))
    # then
    assert response.status_code == 200
    assert response.json()["code"] == "SEL-1"


def test_warehouse_detail_returns_404_when_id_is_unknown(api_client):
    # given
    warehouse = WarehouseFactory()
    # when
    response = api_client.get(warehouse_url(warehouse.id + 1000))
    # then
    assert_envelope(response, 404, "not_found")


def test_warehouse_detail_returns_4xx_when_id_overflows_bigint(staff_client):
    # given an id beyond the range of a bigint primary key
    url = warehouse_url("99999999999999999999")
    # when
    read = staff_client.get(url)
    write = staff_client.patch(url, {"priority": 1}, format="json")
    # then
    for response in (read, write):
        assert 400 <= response.status_code < 500
        assert set(response.json()) == {"error"}
