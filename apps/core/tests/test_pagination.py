"""KeysetPagination through /api/v1/products/, over rows with many ties."""

import base64
import json
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.core.tests.helpers import assert_envelope
from apps.products.tests.helpers import ORDERINGS, PRODUCTS, ProductFactory, expected_ids

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("product_page_path")]

PAGE_SIZE = 7
TOTAL = 37  # 5 full pages of 7 and a last page of 2
GROUP = 5  # rows per group sharing name, price and created_at


@pytest.fixture
def tied_products():
    """37 products in groups of 5 that share name, price and created_at. The groups
    sort differently under each field, so each ordering is tested on its own."""
    base = timezone.now() - timedelta(days=1)
    groups = TOTAL // GROUP + 1
    products = []
    for i in range(TOTAL):
        g = i // GROUP
        products.append(
            ProductFactory(
                name=f"Widget{(g * 3) % groups:02d}",
                price=Decimal(10 + (g * 5) % groups) + Decimal("0.99"),
                created_at=base + timedelta(minutes=(g * 7) % groups),
            )
        )
    return products


def get_page(client, url, params=None) -> dict:
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    return body


def ids(page: dict) -> list[str]:
    return [row["id"] for row in page["results"]]


def walk_forward(client, ordering: str) -> list[dict]:
    pages = [get_page(client, PRODUCTS, {"ordering": ordering, "page_size": PAGE_SIZE})]
    while pages[-1]["next"]:
        assert len(pages) <= TOTAL, "the walk does not end"
        pages.append(get_page(client, pages[-1]["next"]))
    return pages


@pytest.mark.parametrize("ordering", ORDERINGS)
def test_keyset_next_visits_every_row_once_in_order(api_client, tied_products, ordering):
    # when
    pages = walk_forward(api_client, ordering)
    # then
    assert [len(page["results"]) for page in pages] == [7, 7, 7, 7, 7, 2]
    seen = [row_id for page in pages for row_id in ids(page)]
    assert seen == expected_ids(tied_products, ordering)
    assert pages[0]["previous"] is None
    assert pages[-1]["next"] is None
    assert all(page["previous"] and page["next"] for page in pages[1:-1])


def test_keyset_default_ordering_is_newest_first(api_client, tied_products):
    # when
    pages = [get_page(api_client, PRODUCTS, {"page_size": PAGE_SIZE})]
    while pages[-1]["next"]:
        pages.append(get_page(api_client, pages[-1]["next"]))
    # then
    seen = [row_id for page in pages for row_id in ids(page)]
    assert seen == expected_ids(tied_products, "-created_at")


@pytest.mark.parametrize("ordering", ORDERINGS)
def test_keyset_previous_reproduces_the_pages_in_reverse(api_client, tied_products, ordering):
    # given the pages walked forward
    forward = walk_forward(api_client, ordering)
    # when walking back from the last page
    backward = [forward[-1]]
    while backward[-1]["previous"]:
        assert len(backward) <= TOTAL, "the walk does not end"
        backward.append(get_page(api_client, backward[-1]["previous"]))
    # then
    assert [ids(page) for page in reversed(backward)] == [ids(page) for page in forward]
    assert backward[-1]["previous"] is None


@pytest.mark.parametrize("ordering", ORDERINGS)
def test_keyset_next_of_a_previous_page_returns_the_page_after_it(
    api_client, tied_products, ordering
):
    # given the pages walked forward, and page 3 reached back from page 4
    forward = walk_forward(api_client, ordering)
    third_again = get_page(api_client, forward[3]["previous"])
    assert ids(third_again) == ids(forward[2])
    # when
    fourth_again = get_page(api_client, third_again["next"])
    # then
    assert ids(fourth_again) == ids(forward[3])


def test_keyset_page_size_above_100_is_capped_at_100(api_client):
    # given
    ProductFactory.create_batch(101)
    # when
    page = get_page(api_client, PRODUCTS, {"page_size": 1000})
    # then
    assert len(page["results"]) == 100
    assert page["next"] is not None
    assert len(get_page(api_client, page["next"])["results"]) == 1


def test_keyset_page_size_of_exactly_100_is_allowed(api_client):
    # given
    ProductFactory.create_batch(101)
    # when
    page = get_page(api_client, PRODUCTS, {"page_size": 100})
    # then
    assert len(page["results"]) == 100


def test_keyset_exact_multiple_of_page_size_ends_without_an_empty_page(api_client):
    # given
    ProductFactory.create_batch(14)
    # when
    first = get_page(api_client, PRODUCTS, {"page_size": PAGE_SIZE})
    second = get_page(api_client, first["next"])
    # then
    assert len(second["results"]) == PAGE_SIZE
    assert second["next"] is None


def test_keyset_empty_catalog_has_no_links(api_client, db):
    # when
    page = get_page(api_client, PRODUCTS)
    # then
    assert page == {"next": None, "previous": None, "results": []}


def _sorts_first(ordering: str, products) -> dict:
    """Fields for a new product that sorts before every existing one."""
    base = min(p.created_at for p in products)
    top = max(p.created_at for p in products)
    return {
        "name": {"name": "Aardvark"},
        "-name": {"name": "Zebra"},
        "price": {"price": Decimal("0.01")},
        "-price": {"price": Decimal("99999.00")},
        "created_at": {"created_at": base - timedelta(days=1)},
        "-created_at": {"created_at": top + timedelta(days=1)},
    }[ordering]


@pytest.mark.parametrize("ordering", ORDERINGS)
def test_keyset_pages_are_stable_when_rows_are_added_before_the_cursor(
    api_client, tied_products, ordering
):
    # given the first two pages read
    expected = expected_ids(tied_products, ordering)
    first = get_page(api_client, PRODUCTS, {"ordering": ordering, "page_size": PAGE_SIZE})
    second = get_page(api_client, first["next"])
    assert ids(first) + ids(second) == expected[: 2 * PAGE_SIZE]
    # when a product that sorts before them all is added, and the walk goes on
    newcomer = ProductFactory(**_sorts_first(ordering, tied_products))
    second_again = get_page(api_client, first["next"])
    rest = [get_page(api_client, second["next"])]
    while rest[-1]["next"]:
        rest.append(get_page(api_client, rest[-1]["next"]))
    # then no page already passed changes, and the remaining rows come once each
    assert ids(second_again) == ids(second)
    remaining = [row_id for page in rest for row_id in ids(page)]
    assert remaining == expected[2 * PAGE_SIZE :]
    assert str(newcomer.id) not in remaining
    # and the newcomer does show at the head of a fresh walk
    fresh = get_page(api_client, PRODUCTS, {"ordering": ordering, "page_size": PAGE_SIZE})
    assert ids(fresh)[0] == str(newcomer.id)


@pytest.mark.parametrize("ordering", ORDERINGS)
def test_keyset_pages_are_stable_when_a_passed_row_is_deleted(
    staff_client, api_client, tied_products, ordering
):
    # given the first two pages read
    expected = expected_ids(tied_products, ordering)
    first = get_page(api_client, PRODUCTS, {"ordering": ordering, "page_size": PAGE_SIZE})
    second = get_page(api_client, first["next"])
    # when the row the cursor points at is deleted
    cursor_row = ids(second)[-1]
    assert staff_client.delete(f"{PRODUCTS}{cursor_row}/").status_code == 204
    third = get_page(api_client, second["next"])
    # then the next page still starts right after it
    assert ids(third) == expected[2 * PAGE_SIZE : 3 * PAGE_SIZE]


def _tampered(next_url: str, **changes) -> str:
    """A real cursor from `next_url`, decoded, changed and encoded again."""
    token = parse_qs(urlparse(next_url).query)["cursor"][0]
    payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    payload.update(changes)
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    ("ordering", "changes"),
    [
        ("price", {"v": "abc"}),
        ("price", {"v": None}),
        ("price", {"v": [1]}),
        ("-created_at", {"v": "not a date"}),
        ("-created_at", {"v": "2024-13-45T00:00:00Z"}),
        ("name", {"k": "not-a-uuid"}),
        ("name", {"k": ""}),
        ("name", {"r": "yes"}),
        ("name", {"o": 7}),
    ],
)
def test_keyset_returns_400_invalid_when_cursor_is_tampered(api_client, ordering, changes):
    # given a real cursor with one part changed
    ProductFactory.create_batch(3)
    first = get_page(api_client, PRODUCTS, {"ordering": ordering, "page_size": 1})
    cursor = _tampered(first["next"], **changes)
    # when
    response = api_client.get(PRODUCTS, {"ordering": ordering, "page_size": 1, "cursor": cursor})
    # then
    error = assert_envelope(response, 400, "invalid")
    assert "cursor" in error["details"]


@pytest.mark.parametrize(
    ("ordering", "value"), [("price", "1e999999"), ("-price", "1E+200000"), ("name", "x\x00")]
)
def test_keyset_returns_400_invalid_when_cursor_value_is_out_of_database_range(ordering, value, db):
    # given a real cursor whose value is swapped for one PostgreSQL cannot take
    client = APIClient(raise_request_exception=False)
    ProductFactory.create_batch(3)
    first = get_page(client, PRODUCTS, {"ordering": ordering, "page_size": 1})
    cursor = _tampered(first["next"], v=value)
    # when
    response = client.get(PRODUCTS, {"ordering": ordering, "page_size": 1, "cursor": cursor})
    # then
    error = assert_envelope(response, 400, "invalid")
    assert "cursor" in error["details"]


@pytest.mark.parametrize(
    "payload",
    [
        '{"v":"\\ud800","k":"00000000-0000-0000-0000-000000000000","r":false,"o":"name"}',
        '{"v":"2026-01-01T00:00:00","k":"00000000-0000-0000-0000-000000000000","r":false,'
        '"o":"-created_at"}',
    ],
)
def test_keyset_refuses_a_cursor_with_a_surrogate_or_a_naive_time(api_client, db, payload):
    import base64

    cursor = base64.urlsafe_b64encode(payload.encode()).decode()
    ordering = "name" if '"o":"name"' in payload else "-created_at"
    response = api_client.get(PRODUCTS, {"ordering": ordering, "cursor": cursor})
    assert "cursor" in assert_envelope(response, 400, "invalid")["details"]


def test_keyset_refuses_a_deeply_nested_or_oversized_cursor(api_client, db):
    import base64

    nested = base64.urlsafe_b64encode(b"[" * 1000).decode()
    assert_envelope(api_client.get(PRODUCTS, {"cursor": nested}), 400, "invalid")
    assert_envelope(api_client.get(PRODUCTS, {"cursor": "A" * 5000}), 400, "invalid")
