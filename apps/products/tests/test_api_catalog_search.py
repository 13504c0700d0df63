"""Full-text search of the product list over HTTP (`q`: English stemming, web-search
syntax, name and description), alone and with the other filters; on both paths."""

from decimal import Decimal

import pytest

from apps.products.tests.helpers import PRODUCTS, ProductFactory, ids_of

pytestmark = pytest.mark.django_db


@pytest.mark.usefixtures("product_page_path")
def test_product_list_q_finds_stemmed_word_in_name(api_client):
    # given
    chairs = ProductFactory(name="Oak Chairs", description="Sturdy seating.")
    ProductFactory(name="Steel Table", description="Sturdy furniture.")
    # when
    by_stem = ids_of(api_client.get(PRODUCTS, {"q": "chair"}))
    by_other_word = ids_of(api_client.get(PRODUCTS, {"q": "oak"}))
    by_absent_word = ids_of(api_client.get(PRODUCTS, {"q": "sofa"}))
    # then
    assert by_stem == [str(chairs.id)]
    assert by_other_word == [str(chairs.id)]
    assert by_absent_word == []


@pytest.mark.usefixtures("product_page_path")
def test_product_list_q_excludes_words_with_websearch_minus(api_client):
    # given
    oak = ProductFactory(name="Oak Chair", description="")
    pine = ProductFactory(name="Pine Chair", description="")
    ProductFactory(name="Oak Table", description="")
    # when
    with_minus = ids_of(api_client.get(PRODUCTS, {"q": "chair -oak"}))
    without_minus = set(ids_of(api_client.get(PRODUCTS, {"q": "chair"})))
    # then
    assert with_minus == [str(pine.id)]
    assert without_minus == {str(oak.id), str(pine.id)}


@pytest.mark.usefixtures("product_page_path")
def test_product_list_q_matches_description(api_client):
    # given
    lamp = ProductFactory(name="Desk Lamp", description="Brushed walnut finish.")
    ProductFactory(name="Floor Lamp", description="Painted steel.")
    # when
    response = api_client.get(PRODUCTS, {"q": "walnut"})
    # then
    assert ids_of(response) == [str(lamp.id)]


@pytest.mark.usefixtures("product_page_path")
def test_product_list_combines_filters(api_client):
    # given
    wanted = ProductFactory(name="Oak Chair", price=Decimal("50.00"), status="active")
    ProductFactory(name="Oak Chair Deluxe", price=Decimal("500.00"), status="active")
    ProductFactory(name="Oak Chair Old", price=Decimal("50.00"), status="discontinued")
    ProductFactory(name="Steel Stool", price=Decimal("50.00"), status="active")
    # when
    response = api_client.get(
        PRODUCTS, {"q": "chair", "status": "active", "min_price": "10", "max_price": "100"}
    )
    # then
    assert ids_of(response) == [str(wanted.id)]
