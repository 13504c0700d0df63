"""ProductFilterSet, the catalog list's parameters as a FilterSet (the list
parses them with ProductListFilterSerializer, its lean parser): the two have
the same parameters, describe the same schema, refuse the same values with the
same words and narrow to the same products, so they cannot drift apart."""

from decimal import Decimal

import pytest
from django.http import QueryDict
from django.urls import path
from django.utils import timezone
from django_filters.utils import translate_validation
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import extend_schema
from rest_framework import generics

from apps.products.filters import ProductFilterSet, ProductListFilterSerializer
from apps.products.selectors import product_queryset
from apps.products.serializers import ProductOutputSerializer
from apps.products.tests.helpers import ProductFactory
from apps.products.views import ProductListCreateView

PRODUCTS = "/api/v1/products/"


def test_the_filterset_has_the_lean_parsers_parameters_in_its_order():
    parsed = ProductListFilterSerializer._declared_fields
    filters = ProductFilterSet.base_filters
    assert list(filters) == list(parsed)
    for name, field in parsed.items():
        described = filters[name].drf_field
        assert type(described) is type(field), name
        assert (described._args, described._kwargs) == (field._args, field._kwargs), name


class _ParsedProductList(generics.ListAPIView):
    """The list described as it was before ProductFilterSet: the lean parser's
    serializer given as the parameters."""

    queryset = ProductListCreateView.queryset
    serializer_class = ProductOutputSerializer
    filter_backends = []
    ordering_fields = ProductListCreateView.ordering_fields
    default_ordering = ProductListCreateView.default_ordering

    @extend_schema(parameters=[ProductListFilterSerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def test_the_schema_describes_the_filterset_as_the_lean_parser():
    generator = SchemaGenerator(
        patterns=[
            path("api/v1/products/", ProductListCreateView.as_view()),
            path("api/v1/parsed-products/", _ParsedProductList.as_view()),
        ]
    )
    paths = generator.get_schema(request=None, public=True)["paths"]
    described = paths["/api/v1/products/"]["get"]["parameters"]
    parsed = paths["/api/v1/parsed-products/"]["get"]["parameters"]
    assert described == parsed
    assert [list(p) for p in described] == [list(p) for p in parsed]  # key order: the YAML's
    assert {p["name"] for p in described} >= set(ProductFilterSet.base_filters)


@pytest.fixture
def catalog():
    ProductFactory(
        sku="S-CHAIR", name="red chair", price=Decimal("5.00"), deleted_at=timezone.now()
    )
    return {
        product.sku: str(product.pk)
        for product in [
            ProductFactory(sku="S-1", name="red chair", price=Decimal("5.00")),
            ProductFactory(sku="S-2", name="blue table", price=Decimal("19.99")),
            ProductFactory(
                sku="S-3", name="green lamp", price=Decimal("250.00"), status="inactive"
            ),
            ProductFactory(
                sku="S-4", name="old red desk", price=Decimal("10.00"), status="discontinued"
            ),
        ]
    }


def _narrowed(query: str) -> set[str]:
    filterset = ProductFilterSet(QueryDict(query), queryset=product_queryset())
    assert filterset.is_valid(), filterset.errors
    return {str(pk) for pk in filterset.qs.values_list("pk", flat=True)}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "skus"),
    [
        ("", {"S-1", "S-2", "S-3", "S-4"}),
        ("q=red", {"S-1", "S-4"}),
        ("q=red+-desk", {"S-1"}),
        ("status=inactive", {"S-3"}),
        ("min_price=10", {"S-2", "S-3", "S-4"}),
        ("max_price=10.00", {"S-1", "S-4"}),
        ("min_price=6&max_price=19.99", {"S-2", "S-4"}),
        ("sku=S-2", {"S-2"}),
        ("sku=s-2", set()),
        ("q=red&status=active&max_price=5", {"S-1"}),
    ],
)
def test_each_filter_narrows(catalog, query, skus):
    assert _narrowed(query) == {catalog[sku] for sku in skus}


QUERIES = [
    "",
    "q=red",
    "q=%22blue+table%22",
    "q=",
    "q=%20",
    "q=%00",
    "q=" + "y" * 201,
    "status=active",
    "status=discontinued",
    "status=lost",
    "status=ACTIVE",
    "status=50%25",
    "status=lost&status=active",
    "min_price=10",
    "min_price=-3",
    "min_price=x",
    "min_price=1.234",
    "min_price=NaN",
    "max_price=19.99",
    "max_price=10000000001",
    "max_price=inf",
    "sku=S-1",
    "sku=%20S-1%20",
    "sku=" + "s" * 65,
    "min_price=6&max_price=19.99&status=active",
    "sku=" + "s" * 65 + "&min_price=x&status=z&q=" + "y" * 201 + "&max_price=-1",
]


@pytest.mark.django_db
@pytest.mark.usefixtures("product_page_path")
@pytest.mark.parametrize("query", QUERIES)
def test_the_filterset_refuses_and_narrows_as_the_list_does(api_client, catalog, query):
    response = api_client.get(f"{PRODUCTS}?{query}&page_size=100")
    filterset = ProductFilterSet(QueryDict(query), queryset=product_queryset())
    if response.status_code == 400:
        assert not filterset.is_valid()
        details = translate_validation(filterset.errors).detail
        assert response.json()["error"]["details"] == details
    else:
        assert response.status_code == 200, response.content
        listed = {row["id"] for row in response.json()["results"]}
        assert listed == _narrowed(query)


@pytest.mark.django_db
def test_a_bad_value_is_the_400_envelope_naming_each_parameter(api_client):
    response = api_client.get(PRODUCTS, {"max_price": "x", "status": "lost", "q": " "})
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid",
            "message": "Invalid input.",
            "details": {
                "q": ["This field may not be blank."],
                "status": ['"lost" is not a valid choice.'],
                "max_price": ["A valid number is required."],
            },
        }
    }
