"""The product list over HTTP (docs/api.md): public, paginated, filtered,
ordered, and its bad query input; on both paths of the list."""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone

from apps.core.tests.helpers import assert_envelope
from apps.products.models import ProductStatus
from apps.products.tests.helpers import ORDERINGS, PRODUCTS, ProductFactory, expected_ids, ids_of

pytestmark = pytest.mark.django_db


# --- list: public, default order, filters ---------------------------------------------


@pytest.mark.usefixtures("product_page_path")
def test_product_list_is_public_and_paginated(api_client):
    # given
    product = ProductFactory()
    # when
    response = api_client.get(PRODUCTS)
    # then
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    assert body["next"] is None and body["previous"] is None
    assert [row["id"] for row in body["results"]] == [str(product.id)]
    row = body["results"][0]
    assert row["sku"] == product.sku
    assert row["price"] == "100.00"


@pytest.mark.usefixtures("product_page_path")
def test_product_list_orders_newest_first_by_default(api_client):
    # given products created at distinct times, inserted out of order
    now = timezone.now()
    middle = ProductFactory(created_at=now - timedelta(hours=1))
    newest = ProductFactory(created_at=now)
    oldest = ProductFactory(created_at=now - timedelta(days=1))
    # when
    response = api_client.get(PRODUCTS)
    # then
    assert ids_of(response) == [str(newest.id), str(middle.id), str(oldest.id)]


@pytest.mark.usefixtures("product_page_path")
def test_product_list_returns_20_rows_per_page_by_default(api_client):
    # given
    ProductFactory.create_batch(21)
    # when
    body = api_client.get(PRODUCTS).json()
    # then
    assert len(body["results"]) == 20
    assert body["next"] is not None


@pytest.mark.usefixtures("product_page_path")
def test_product_list_filters_by_status(api_client):
    # given
    active = ProductFactory(status=ProductStatus.ACTIVE)
    inactive = ProductFactory(status=ProductStatus.INACTIVE)
    discontinued = ProductFactory(status=ProductStatus.DISCONTINUED)
    # when / then
    assert ids_of(api_client.get(PRODUCTS, {"status": "inactive"})) == [str(inactive.id)]
    assert ids_of(api_client.get(PRODUCTS, {"status": "active"})) == [str(active.id)]
    assert ids_of(api_client.get(PRODUCTS, {"status": "discontinued"})) == [str(discontinued.id)]


@pytest.mark.usefixtures("product_page_path")
def test_product_list_filters_by_min_and_max_price_inclusive(api_client):
    # given
    cheap = ProductFactory(price=Decimal("5.00"))
    mid = ProductFactory(price=Decimal("10.00"))
    dear = ProductFactory(price=Decimal("20.00"))
    # when
    at_least_10 = set(ids_of(api_client.get(PRODUCTS, {"min_price": "10"})))
    at_most_10 = set(ids_of(api_client.get(PRODUCTS, {"max_price": "10.00"})))
    between = set(ids_of(api_client.get(PRODUCTS, {"min_price": "6", "max_price": "19.99"})))
    # then
    assert at_least_10 == {str(mid.id), str(dear.id)}
    assert at_most_10 == {str(cheap.id), str(mid.id)}
    assert between == {str(mid.id)}


@pytest.mark.usefixtures("product_page_path")
def test_product_list_filters_by_exact_sku(api_client):
    # given
    wanted = ProductFactory(sku="ABC-1")
    ProductFactory(sku="ABC-10")
    ProductFactory(sku="XABC-1")
    # when
    response = api_client.get(PRODUCTS, {"sku": "ABC-1"})
    # then
    assert ids_of(response) == [str(wanted.id)]


@pytest.mark.usefixtures("product_page_path")
def test_product_list_ignores_unknown_query_parameters(api_client):
    # given
    product = ProductFactory()
    # when
    response = api_client.get(PRODUCTS, {"colour": "red", "foo": "bar", "page": "2"})
    # then
    assert ids_of(response) == [str(product.id)]


# --- ordering -----------------------------------------------------------------------


@pytest.mark.parametrize("ordering", ORDERINGS)
@pytest.mark.usefixtures("product_page_path")
def test_product_list_sorts_by_each_ordering(api_client, ordering):
    # given products whose names, prices and creation times disagree, with ties
    now = timezone.now()
    rows = [
        ("Delta", "30.00", 3),
        ("Alpha", "10.00", 5),
        ("Charlie", "30.00", 1),
        ("Bravo", "20.00", 3),
        ("Echo", "10.00", 4),
        ("Alpha", "20.00", 2),
    ]
    products = [
        ProductFactory(name=name, price=Decimal(price), created_at=now - timedelta(minutes=age))
        for name, price, age in rows
    ]
    # when
    response = api_client.get(PRODUCTS, {"ordering": ordering})
    # then
    assert ids_of(response) == expected_ids(products, ordering)


# --- bad query input --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"min_price": "abc"}, "min_price"),
        ({"min_price": "-1"}, "min_price"),
        ({"max_price": "1e20"}, "max_price"),
        ({"max_price": "-0.01"}, "max_price"),
        ({"status": "bogus"}, "status"),
        ({"ordering": "bogus"}, "ordering"),
        ({"ordering": "id"}, "ordering"),
        ({"ordering": "-id"}, "ordering"),
        ({"ordering": "description"}, "ordering"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "abc"}, "page_size"),
        ({"page_size": "-3"}, "page_size"),
        ({"cursor": "garbage"}, "cursor"),
        ({"cursor": "eyJ2IjoxfQ"}, "cursor"),  # {"v":1}
        ({"q": "a" * 201}, "q"),
        ({"sku": "S" * 65}, "sku"),
    ],
)
@pytest.mark.usefixtures("product_page_path")
def test_product_list_returns_400_invalid_naming_the_parameter_when_input_is_bad(
    api_client, params, named
):
    # given
    ProductFactory()
    # when
    response = api_client.get(PRODUCTS, params)
    # then
    error = assert_envelope(response, 400, "invalid")
    assert named in error["details"]


@pytest.mark.usefixtures("product_page_path")
def test_product_list_returns_400_when_cursor_comes_from_another_ordering(api_client):
    # given a cursor from a page ordered by price
    ProductFactory.create_batch(3)
    first = api_client.get(PRODUCTS, {"ordering": "price", "page_size": 1}).json()
    cursor = parse_qs(urlparse(first["next"]).query)["cursor"][0]
    # when it is reused with another ordering
    response = api_client.get(PRODUCTS, {"ordering": "name", "page_size": 1, "cursor": cursor})
    # then
    error = assert_envelope(response, 400, "invalid")
    assert "cursor" in error["details"]


@pytest.mark.usefixtures("product_page_path")
def test_product_list_accepts_q_of_exactly_200_chars(api_client):
    # given
    ProductFactory()
    # when
    response = api_client.get(PRODUCTS, {"q": "a" * 200})
    # then
    assert response.status_code == 200
