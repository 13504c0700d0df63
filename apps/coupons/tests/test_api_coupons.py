from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.accounts.tests.helpers import UserFactory
from apps.core.models import IdempotencyRecord
from apps.core.tests.helpers import assert_envelope, client_for
from apps.coupons.models import Coupon, CouponIssue
from apps.coupons.services import coupon_issue
from apps.coupons.tests.helpers import CouponFactory
from apps.products.tests.helpers import ProductFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/coupons/"
MINE = "/api/v1/me/coupons/"


def _body(**overrides):
    now = timezone.now()
    body = {
        "name": "Black Friday",
        "discount_amount": "5000.00",
        "total_quantity": 100,
        "starts_at": (now - timedelta(minutes=1)).isoformat(),
        "ends_at": (now + timedelta(days=1)).isoformat(),
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not ...}


def _issue_url(coupon) -> str:
    return f"{URL}{coupon.pk}/issue/"


# --- staff: create -------------------------------------------------------------


def test_staff_creates_a_coupon_with_a_fixed_amount(staff_client):
    # when
    response = staff_client.post(URL, _body(min_order_amount="20000"), format="json")
    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["discount_amount"] == "5000.00" and body["discount_rate"] is None
    assert body["min_order_amount"] == "20000.00"
    assert (body["total_quantity"], body["issued_count"], body["remaining"]) == (100, 0, 100)
    assert body["product_id"] is None
    assert Coupon.objects.get(pk=body["id"]).name == "Black Friday"


def test_staff_creates_a_rate_coupon_for_one_product(staff_client):
    product = ProductFactory()
    response = staff_client.post(
        URL,
        _body(discount_amount=..., discount_rate=15, product_id=str(product.pk)),
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["discount_rate"] == 15
    assert response.json()["product_id"] == str(product.pk)


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"discount_rate": 10}, "non_field_errors"),  # both
        ({"discount_amount": ...}, "non_field_errors"),  # neither
        ({"discount_amount": None}, "non_field_errors"),
        ({"discount_amount": ..., "discount_rate": 0}, "discount_rate"),
        ({"discount_amount": ..., "discount_rate": 101}, "discount_rate"),
        ({"discount_amount": ..., "discount_rate": "ten"}, "discount_rate"),
        ({"discount_amount": ..., "discount_rate": 12.5}, "discount_rate"),
        ({"discount_amount": "0.00"}, "discount_amount"),
        ({"discount_amount": "-5"}, "discount_amount"),
        ({"discount_amount": "NaN"}, "discount_amount"),
        ({"discount_amount": "Infinity"}, "discount_amount"),
        ({"discount_amount": "1.005"}, "discount_amount"),
        ({"discount_amount": "1" * 40}, "discount_amount"),
        ({"discount_amount": [1]}, "discount_amount"),
        ({"total_quantity": 0}, "total_quantity"),
        ({"total_quantity": -1}, "total_quantity"),
        ({"total_quantity": 10_000_001}, "total_quantity"),
        ({"total_quantity": 10**30}, "total_quantity"),
        ({"total_quantity": "many"}, "total_quantity"),
        ({"total_quantity": ...}, "total_quantity"),
        ({"name": ...}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"starts_at": "yesterday"}, "starts_at"),
        ({"ends_at": ...}, "ends_at"),
        ({"ends_at": (timezone.now() - timedelta(days=1)).isoformat()}, "ends_at"),
        ({"product_id": 12}, "product_id"),
        ({"product_id": "not-a-uuid"}, "product_id"),
        ({"min_order_amount": "-1"}, "min_order_amount"),
    ],
)
def test_create_refuses_bad_input_and_creates_nothing(staff_client, overrides, field):
    response = staff_client.post(URL, _body(**overrides), format="json")
    assert_envelope(response, 400, "invalid")
    assert field in response.json()["error"]["details"], response.json()
    assert not Coupon.objects.exists()


def test_create_with_an_unknown_product_is_404(staff_client):
    response = staff_client.post(
        URL, _body(product_id="00000000-0000-7000-8000-000000000000"), format="json"
    )
    assert_envelope(response, 404, "not_found")
    assert not Coupon.objects.exists()


def test_create_refuses_a_non_object_body(staff_client):
    for body in ([], "text", 5, None):
        assert_envelope(staff_client.post(URL, body, format="json"), 400, "invalid")
    assert_envelope(
        staff_client.post(URL, "{not json", content_type="application/json"), 400, "invalid"
    )
    assert not Coupon.objects.exists()


def test_only_staff_create_and_edit(api_client, user_client, warehouse_client):
    coupon = CouponFactory()
    assert_envelope(api_client.post(URL, _body(), format="json"), 401, "not_authenticated")
    for client in (user_client, warehouse_client):
        assert_envelope(client.post(URL, _body(), format="json"), 403, "permission_denied")
        response = client.patch(f"{URL}{coupon.pk}/", {"total_quantity": 99}, format="json")
        assert_envelope(response, 403, "permission_denied")
    assert Coupon.objects.count() == 1
    assert Coupon.objects.get().total_quantity == 10


# --- reads -----------------------------------------------------------------------


def test_anyone_lists_coupons_with_remaining_and_filters_active(api_client):
    # given an open drop with 3 of 10 issued, one upcoming and one ended
    open_drop = CouponFactory()
    for user in UserFactory.create_batch(3):
        coupon_issue(coupon_id=open_drop.pk, user_id=user.pk)
    now = timezone.now()
    upcoming = CouponFactory(starts_at=now + timedelta(hours=1), ends_at=now + timedelta(hours=2))
    ended = CouponFactory(starts_at=now - timedelta(hours=2), ends_at=now - timedelta(hours=1))

    # when / then
    everything = api_client.get(URL).json()["results"]
    assert {row["id"] for row in everything} == {open_drop.pk, upcoming.pk, ended.pk}
    active = api_client.get(URL, {"active": "true"}).json()["results"]
    assert [(row["id"], row["remaining"], row["issued_count"]) for row in active] == [
        (open_drop.pk, 7, 3)
    ]
    inactive = api_client.get(URL, {"active": "false"}).json()["results"]
    assert {row["id"] for row in inactive} == {upcoming.pk, ended.pk}
    assert_envelope(api_client.get(URL, {"active": "perhaps"}), 400, "invalid")
    assert_envelope(api_client.get(URL, {"ordering": "remaining"}), 400, "invalid")


def test_list_pages_by_cursor_in_constant_queries(api_client, django_assert_num_queries):
    CouponFactory.create_batch(5)
    with django_assert_num_queries(1):
        first = api_client.get(URL, {"page_size": 2, "ordering": "starts_at"}).json()
    second = api_client.get(first["next"]).json()
    third = api_client.get(second["next"]).json()
    ids = [row["id"] for page in (first, second, third) for row in page["results"]]
    assert sorted(ids) == sorted(Coupon.objects.values_list("pk", flat=True))
    assert third["next"] is None


def test_anyone_reads_one_coupon_and_unknown_ids_are_404(api_client):
    coupon = CouponFactory()
    body = api_client.get(f"{URL}{coupon.pk}/").json()
    assert (body["id"], body["remaining"], body["discount_amount"]) == (coupon.pk, 10, "1000.00")
    for pk in (coupon.pk + 1, 0, 2**63, 10**30):
        assert_envelope(api_client.get(f"{URL}{pk}/"), 404, "not_found")
    assert_envelope(api_client.get(f"{URL}abc/"), 404, "not_found")


# --- staff: edit -----------------------------------------------------------------


def test_staff_edits_a_coupon(staff_client):
    coupon = CouponFactory()
    response = staff_client.patch(
        f"{URL}{coupon.pk}/",
        {"name": "Renamed", "total_quantity": 20, "discount_amount": None, "discount_rate": 30},
        format="json",
    )
    assert response.status_code == 200, response.content
    coupon.refresh_from_db()
    assert (coupon.name, coupon.total_quantity, coupon.discount_rate) == ("Renamed", 20, 30)
    assert coupon.discount_amount is None


def test_lowering_total_quantity_below_issued_is_409_and_changes_nothing(staff_client):
    coupon = CouponFactory(total_quantity=5)
    for user in UserFactory.create_batch(3):
        coupon_issue(coupon_id=coupon.pk, user_id=user.pk)
    response = staff_client.patch(f"{URL}{coupon.pk}/", {"total_quantity": 2}, format="json")
    assert_envelope(response, 409, "below_issued")
    assert response.json()["error"]["details"] == {"issued_count": 3, "total_quantity": 2}
    coupon.refresh_from_db()
    assert coupon.total_quantity == 5
    # exactly the issued count is allowed: the drop is then sold out
    assert (
        staff_client.patch(f"{URL}{coupon.pk}/", {"total_quantity": 3}, format="json").json()[
            "remaining"
        ]
        == 0
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"discount_rate": 10},  # would hold both discounts
        {"discount_amount": None},  # would hold none
        {"ends_at": "2000-01-01T00:00:00Z"},  # before starts_at
        {"total_quantity": None},
        {"total_quantity": 0},
        {"issued_count": 0, "name": ""},
    ],
)
def test_edit_refuses_bad_input(staff_client, changes):
    coupon = CouponFactory()
    response = staff_client.patch(f"{URL}{coupon.pk}/", changes, format="json")
    assert_envelope(response, 400, "invalid")
    fresh = Coupon.objects.get(pk=coupon.pk)
    assert (fresh.discount_amount, fresh.discount_rate, fresh.total_quantity) == (
        Decimal("1000.00"),
        None,
        10,
    )


def test_edit_of_an_unknown_coupon_is_404(staff_client):
    assert_envelope(
        staff_client.patch(f"{URL}999999/", {"name": "x"}, format="json"), 404, "not_found"
    )


# --- claim -------------------------------------------------------------------------


def test_a_customer_claims_a_coupon(user, user_client):
    coupon = CouponFactory()
    response = user_client.post(_issue_url(coupon))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "issued" and body["coupon_id"] == coupon.pk
    assert (
        len(body["code"]) == 8 and body["code"].isalnum() and body["code"].upper() == body["code"]
    )
    assert body["coupon"]["remaining"] == 9
    issue = CouponIssue.objects.get()
    assert (issue.user_id, issue.code) == (user.pk, body["code"])
    assert Coupon.objects.get().issued_count == 1


def test_claiming_twice_is_already_issued(user_client):
    coupon = CouponFactory()
    assert user_client.post(_issue_url(coupon)).status_code == 201
    assert_envelope(user_client.post(_issue_url(coupon)), 409, "already_issued")
    assert CouponIssue.objects.count() == 1 and Coupon.objects.get().issued_count == 1


def test_claims_past_the_total_are_sold_out(user_client):
    coupon = CouponFactory(total_quantity=1)
    coupon_issue(coupon_id=coupon.pk, user_id=UserFactory().pk)
    assert_envelope(user_client.post(_issue_url(coupon)), 409, "sold_out")
    assert CouponIssue.objects.count() == 1


@pytest.mark.parametrize(
    "starts, ends, reason",
    [
        (timedelta(seconds=2), timedelta(hours=1), "not_started"),
        (timedelta(hours=-2), timedelta(seconds=-1), "ended"),
        (timedelta(hours=-2), timedelta(0), "ended"),  # ends_at itself is outside
    ],
)
def test_claims_outside_the_window_are_not_active(user_client, starts, ends, reason):
    now = timezone.now()
    coupon = CouponFactory(starts_at=now + starts, ends_at=now + ends)
    response = user_client.post(_issue_url(coupon))
    assert_envelope(response, 409, "coupon_not_active")
    assert response.json()["error"]["details"]["reason"] == reason
    assert not CouponIssue.objects.exists()


def test_a_claim_at_starts_at_itself_is_inside_the_window(user_client):
    coupon = CouponFactory(starts_at=timezone.now())
    assert user_client.post(_issue_url(coupon)).status_code == 201


def test_claim_needs_a_customer_and_a_known_coupon(api_client, user_client):
    coupon = CouponFactory()
    assert_envelope(api_client.post(_issue_url(coupon)), 401, "not_authenticated")
    bad = api_client
    bad.credentials(HTTP_AUTHORIZATION="Bearer not.a.token")
    assert_envelope(bad.post(_issue_url(coupon)), 401, "token_not_valid")
    for pk in (coupon.pk + 1, 2**63, 10**40):
        assert_envelope(user_client.post(f"{URL}{pk}/issue/"), 404, "not_found")
    assert_envelope(user_client.get(_issue_url(coupon)), 405, "method_not_allowed")
    # with an Idempotency-Key the body is fingerprinted, so it must parse
    assert_envelope(
        user_client.post(
            _issue_url(coupon), "{oops", content_type="application/json", HTTP_IDEMPOTENCY_KEY="k"
        ),
        400,
        "invalid",
    )
    assert not CouponIssue.objects.exists()


def test_idempotency_key_replays_the_claim(user_client):
    coupon = CouponFactory()
    first = user_client.post(_issue_url(coupon), HTTP_IDEMPOTENCY_KEY="claim-1")
    again = user_client.post(_issue_url(coupon), HTTP_IDEMPOTENCY_KEY="claim-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["code"] == first.json()["code"]
    assert CouponIssue.objects.count() == 1 and Coupon.objects.get().issued_count == 1
    # a new key is a new claim: refused, and the refusal is stored too
    refused = user_client.post(_issue_url(coupon), HTTP_IDEMPOTENCY_KEY="claim-2")
    assert_envelope(refused, 409, "already_issued")
    assert IdempotencyRecord.objects.filter(key="claim-2", status_code=409).exists()
    assert_envelope(
        user_client.post(_issue_url(coupon), HTTP_IDEMPOTENCY_KEY="\x01bad"), 400, "invalid"
    )


# --- my coupons --------------------------------------------------------------------


def test_my_coupons_lists_only_mine_with_their_coupon(user, user_client, django_assert_num_queries):
    mine = [CouponFactory() for _ in range(3)]
    for coupon in mine:
        coupon_issue(coupon_id=coupon.pk, user_id=user.pk)
    coupon_issue(coupon_id=mine[0].pk, user_id=UserFactory().pk)  # someone else's
    with django_assert_num_queries(1):
        body = user_client.get(MINE).json()
    assert sorted(row["coupon_id"] for row in body["results"]) == sorted(c.pk for c in mine)
    assert all(row["coupon"]["id"] == row["coupon_id"] for row in body["results"])
    only = user_client.get(MINE, {"coupon_id": mine[1].pk}).json()["results"]
    assert [row["coupon_id"] for row in only] == [mine[1].pk]
    assert_envelope(user_client.get(MINE, {"coupon_id": "x"}), 400, "invalid")
    assert_envelope(user_client.get(MINE, {"status": "lost"}), 400, "invalid")


def test_my_coupons_shows_an_ended_coupon_as_expired(user, user_client):
    coupon = CouponFactory()
    coupon_issue(coupon_id=coupon.pk, user_id=user.pk)
    Coupon.objects.filter(pk=coupon.pk).update(ends_at=timezone.now() - timedelta(seconds=1))
    rows = user_client.get(MINE).json()["results"]
    assert [row["status"] for row in rows] == ["expired"]
    assert user_client.get(MINE, {"status": "issued"}).json()["results"] == []
    assert len(user_client.get(MINE, {"status": "expired"}).json()["results"]) == 1


def test_my_coupons_needs_a_login(api_client):
    assert_envelope(api_client.get(MINE), 401, "not_authenticated")


def test_another_users_token_sees_none_of_mine(user):
    coupon = CouponFactory()
    coupon_issue(coupon_id=coupon.pk, user_id=user.pk)
    other = client_for(UserFactory())
    assert other.get(MINE).json()["results"] == []
