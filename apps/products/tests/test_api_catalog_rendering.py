"""What the catalog's reads cost and render: one query per page or product, and
the same bytes on both paths of the list as DRF renders from the models."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.products.models import Product, ProductStatus
from apps.products.tests.helpers import (
    ORDERINGS,
    PRODUCTS,
    ProductFactory,
    expected_ids,
    product_url,
)

pytestmark = pytest.mark.django_db


# --- query counts ---------------------------------------------------------------------


@pytest.mark.usefixtures("product_page_path")
def test_product_list_page_takes_one_query(api_client, django_assert_num_queries):
    # given
    ProductFactory.create_batch(25)
    # when
    with django_assert_num_queries(1):
        response = api_client.get(PRODUCTS)
    # then
    assert len(response.json()["results"]) == 20


@pytest.mark.usefixtures("product_page_path")
def test_product_list_page_with_search_and_filters_takes_one_query(
    api_client, django_assert_num_queries
):
    # given
    ProductFactory.create_batch(25, name="Oak Chair", price=Decimal("50.00"))
    params = {"q": "chair", "status": "active", "min_price": "1", "max_price": "100"}
    # when
    with django_assert_num_queries(1):
        response = api_client.get(PRODUCTS, {**params, "ordering": "price"})
    # then
    assert len(response.json()["results"]) == 20


@pytest.mark.usefixtures("product_page_path")
def test_product_list_next_page_takes_one_query(api_client, django_assert_num_queries):
    # given
    ProductFactory.create_batch(25)
    next_url = api_client.get(PRODUCTS).json()["next"]
    # when
    with django_assert_num_queries(1):
        response = api_client.get(next_url)
    # then
    assert len(response.json()["results"]) == 5


def test_product_detail_takes_one_query(api_client, django_assert_num_queries):
    # given
    product = ProductFactory()
    # when
    with django_assert_num_queries(1):
        response = api_client.get(product_url(product.id))
    # then
    assert response.status_code == 200


def test_product_rendering_matches_drf_field_by_field_rendering():
    # given a product with every field set, read as a model and as a values() row
    from datetime import timedelta

    from django.utils import timezone
    from rest_framework import serializers

    from apps.products.models import Product
    from apps.products.serializers import PRODUCT_FIELDS, ProductOutputSerializer

    now = timezone.now()
    product = ProductFactory(
        price="1234.50", sale_starts_at=now, sale_ends_at=now + timedelta(days=1)
    )
    product.refresh_from_db()
    row = Product.objects.values(*PRODUCT_FIELDS).get(pk=product.pk)
    serializer = ProductOutputSerializer()
    # when / then: the fast path equals DRF's generic rendering, for both inputs
    generic = serializers.ModelSerializer.to_representation(serializer, product)
    assert serializer.to_representation(product) == dict(generic)
    assert serializer.to_representation(row) == dict(generic)


TRICKY_TEXTS = [
    'Say "hi" \\ and /back/',
    "line\nbreak\ttab\x01\x1f\x7f",
    "Crème brûlée ☕ 🪑 中文",
    "line\u2028separator\u2029paragraph",
    "",
]


@pytest.mark.parametrize("ordering", ORDERINGS)
def test_product_list_pages_are_the_same_bytes_on_both_paths_and_as_drf_renders_them(
    api_client, ordering, monkeypatch
):
    # given products with unusual text, every field set or empty, and times with
    # and without microseconds
    from rest_framework.renderers import JSONRenderer

    from apps.products import listing
    from apps.products.serializers import ProductOutputSerializer

    now = timezone.now().replace(microsecond=123456)
    for i, text in enumerate(TRICKY_TEXTS):
        window = (
            {"sale_starts_at": now.replace(microsecond=0), "sale_ends_at": now} if i % 2 else {}
        )
        product = ProductFactory(
            name=text or "Plain",
            description=text,
            price=Decimal(["0", "0.50", "99999999.99", "12", "1234.05"][i]),
            status=ProductStatus.INACTIVE if i == 2 else ProductStatus.ACTIVE,
            **window,
        )
        Product.objects.filter(pk=product.pk).update(
            created_at=now - timedelta(minutes=i, microseconds=0 if i % 2 else 123456 - i)
        )

    def walk() -> list:
        """Every page, two rows at a time, forward; then back from the last."""
        url, params, pages = PRODUCTS, {"ordering": ordering, "page_size": 2}, []
        while url:
            pages.append(api_client.get(url, params))
            url, params = pages[-1].json()["next"], None
        back = pages[-1].json()["previous"]
        while back:
            pages.append(api_client.get(back))
            back = pages[-1].json()["previous"]
        return pages

    # when every page is read by PostgreSQL's statement, then through the ORM
    by_sql = walk()
    monkeypatch.setattr(listing, "_page_sql", listing._page_portable)
    portable = walk()
    # then both paths answer the same bytes, links included
    assert len(by_sql) == 5
    assert [r.content for r in by_sql] == [r.content for r in portable]
    # and each page is what DRF renders from the models
    for response in by_sql:
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        body = response.json()
        products = [Product.objects.get(pk=row["id"]) for row in body["results"]]
        expected = {
            "next": body["next"],
            "previous": body["previous"],
            "results": [ProductOutputSerializer(p).data for p in products],
        }
        assert response.content == JSONRenderer().render(expected)
    # in the order the ordering promises
    forward = [row["id"] for r in by_sql[:3] for row in r.json()["results"]]
    assert forward == expected_ids(Product.objects.all(), ordering)
