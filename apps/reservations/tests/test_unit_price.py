"""A hold keeps the unit price its shopper saw when it was made: an order of it
charges that, whatever the catalog says later. Through both hold stores."""

from decimal import Decimal

import pytest

from apps.accounts.tests.helpers import UserFactory
from apps.core.tests.helpers import client_for
from apps.products.services import product_update
from apps.products.tests.helpers import ProductFactory, WarehouseFactory
from apps.reservations.services import reservation_cancel, reservation_confirm
from apps.reservations.tests.helpers import reserve
from apps.stock.models import ReservationLine
from apps.stock.tests.helpers import stock_of

pytestmark = pytest.mark.django_db


def _product(price: str, units: int = 10):
    product = ProductFactory(price=Decimal(price))
    stock_of(product, WarehouseFactory(priority=1), units // 2)
    stock_of(product, WarehouseFactory(priority=2), units - units // 2)
    return product


def test_every_line_keeps_the_price_of_the_moment_of_the_hold():
    # given a product at 12.50 on two warehouses
    product = _product("12.50")
    # when 7 units are held (split over both rows), then the price rises
    held = reserve(product, 7)
    product_update(product=product, changes={"price": Decimal("99.00")})
    # then the lines keep 12.50, in the answer and in the database
    assert [line.unit_price for line in held.line_list] == [Decimal("12.50")] * 2
    assert set(ReservationLine.objects.values_list("unit_price", flat=True)) == {Decimal("12.50")}
    # and a hold made after the change has the new price
    assert [line.unit_price for line in reserve(product, 1).line_list] == [Decimal("99.00")]


@pytest.mark.parametrize("end", [reservation_confirm, reservation_cancel])
def test_an_ended_hold_still_shows_the_price_it_was_held_at(end):
    product = _product("3.05")
    held = reserve(product, 2)
    product_update(product=product, changes={"price": Decimal("4.00")})
    ended = end(reservation_id=held.pk, user=held.user)
    assert [line.unit_price for line in ended.line_list] == [Decimal("3.05")]


def test_the_api_shows_each_lines_unit_price_as_money():
    product = _product("0.10")
    user = UserFactory()
    response = client_for(user).post(
        "/api/v1/reservations/",
        {"order_id": "o-1", "lines": [{"product_id": str(product.pk), "quantity": 6}]},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert [(line["quantity"], line["unit_price"]) for line in response.json()["lines"]] == [
        (5, "0.10"),
        (1, "0.10"),
    ]
    product_update(product=product, changes={"price": Decimal("1.00")})
    again = client_for(user).get(f"/api/v1/reservations/{response.json()['id']}/")
    assert [line["unit_price"] for line in again.json()["lines"]] == ["0.10", "0.10"]
