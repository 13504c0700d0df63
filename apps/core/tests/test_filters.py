"""DRFFieldFilter: a FilterSet's parameters read, validated, refused and
described exactly as a serializer reading the query string by hand does."""

import pytest
from django.http import QueryDict
from django.urls import path
from drf_spectacular.generators import SchemaGenerator

from apps.accounts.tests.helpers import UserFactory
from apps.core.tests.urls import UserFilteredListView, UserFilterSet, UserParsedListView

pytestmark = [pytest.mark.django_db, pytest.mark.urls("apps.core.tests.urls")]

PARSED, FILTERED = "/api/test/users/parsed/", "/api/test/users/filtered/"

QUERIES = [
    "",
    "email=staff@example.com",
    "email=STAFF@example.com",
    "email=not-an-address",
    "email=",
    "email=%20",
    "email",
    "is_staff=true",
    "is_staff=false",
    "is_staff=0",
    "is_staff=",
    "is_staff=null",
    "is_staff=perhaps",
    "warehouse_admins=yes",
    "warehouse_admins=off",
    "warehouse_admins=",
    "warehouse_admins=2",
    "inactive_only=true",
    "inactive_only=",
    "inactive_only=x",
    "role=staff",
    "role=warehouse_admin",
    "role=",
    "role=%20",
    "role=%00",
    "role=50%25x",
    "role=%25(message)s",
    "role=%C3%A9",
    "role=lost&role=staff",
    "role=staff&role=lost",
    "min_id=1",
    "min_id=0",
    "min_id=x",
    "min_id=%205%20",
    "min_id=2147483648",
    "created_after=2000-01-01",
    "created_after=2999-01-01T00:00:00Z",
    "created_after=yesterday",
    "created_after=2000-01-01T00:00:00%2B02:00",
    "role=lost&min_id=0&email=x&is_staff=maybe&created_after=x&warehouse_admins=x",
    "created_after=x&role=lost",
    "role=lost&page_size=0",
    "role=staff&page_size=1",
]


@pytest.fixture
def users():
    return [
        UserFactory(email="staff@example.com", is_staff=True),
        UserFactory(email="warehouse@example.com", is_warehouse_admin=True),
        UserFactory(email="customer@example.com"),
    ]


@pytest.mark.parametrize("query", QUERIES)
def test_a_filterset_answers_byte_for_byte_as_the_serializer_read_by_hand(api_client, users, query):
    parsed, filtered = api_client.get(f"{PARSED}?{query}"), api_client.get(f"{FILTERED}?{query}")
    assert (filtered.status_code, filtered.content) == (parsed.status_code, parsed.content)


def test_each_filter_narrows(api_client, users):
    def emails(query: str) -> list[str]:
        response = api_client.get(f"{FILTERED}?{query}")
        assert response.status_code == 200, response.content
        return [row["email"] for row in response.json()["results"]]

    staff, warehouse, customer = (user.email for user in users)
    assert emails("") == [staff, warehouse, customer]
    assert emails("email=customer@example.com") == [customer]
    assert emails("is_staff=false") == [warehouse, customer]
    assert emails("warehouse_admins=true") == [warehouse]
    assert emails("inactive_only=true") == []
    assert emails("role=staff") == [staff]
    assert emails(f"min_id={users[1].pk}") == [warehouse, customer]
    assert emails("created_after=2999-01-01T00:00:00Z") == []


def test_a_bad_value_is_the_400_envelope_naming_each_parameter_in_declared_order(api_client):
    response = api_client.get(f"{FILTERED}?min_id=0&role=50%25x&is_staff=maybe")
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid",
            "message": "Invalid input.",
            "details": {
                "is_staff": ["Must be a valid boolean."],
                "role": ['"50%x" is not a valid choice.'],
                "min_id": ["Ensure this value is greater than or equal to 1."],
            },
        }
    }


def test_absent_parameters_read_as_a_serializer_reads_them_from_a_query_string():
    # (a boolean without a default is False there, not absent)
    filterset = UserFilterSet(QueryDict(""), queryset=UserFilterSet._meta.model.objects.none())
    assert filterset.is_valid()
    assert filterset.form.cleaned_data == {
        "email": None,
        "is_staff": None,
        "warehouse_admins": False,
        "inactive_only": False,
        "role": None,
        "min_id": None,
        "created_after": None,
    }


def test_the_schema_describes_the_filters_as_it_describes_the_serializer():
    generator = SchemaGenerator(
        patterns=[
            path("api/test/users/parsed/", UserParsedListView.as_view()),
            path("api/test/users/filtered/", UserFilteredListView.as_view()),
        ]
    )
    paths = generator.get_schema(request=None, public=True)["paths"]
    parsed = paths["/api/test/users/parsed/"]["get"]["parameters"]
    filtered = paths["/api/test/users/filtered/"]["get"]["parameters"]
    assert filtered == parsed
    assert [list(p) for p in filtered] == [list(p) for p in parsed]  # key order: the YAML's
    assert {p["name"] for p in filtered} >= {"email", "role", "warehouse_admins"}
