"""The Points endpoints of the API: shapes, roles, idempotency, and bad input
answered with the 4xx envelope while nothing moves."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.tests.helpers import UserFactory
from apps.core.tests.helpers import client_for
from apps.points.models import PointEntry, PointKind
from apps.points.services import points_use
from apps.points.tests.helpers import balances, earn

pytestmark = pytest.mark.django_db

BALANCE, HISTORY = "/api/v1/points/balance/", "/api/v1/points/history/"
EARN, USE = "/api/v1/points/earn/", "/api/v1/points/use/"
FREE, PAID = PointKind.FREE, PointKind.PAID


def _cancel_url(entry_id) -> str:
    return f"/api/v1/points/entries/{entry_id}/cancel/"


def _error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code


def test_balance_answers_free_paid_and_total_as_integers(user, user_client):
    earn(user, 30, FREE)
    earn(user, 12, PAID)
    response = user_client.get(BALANCE)
    assert response.status_code == 200
    assert response.json() == {"free": 30, "paid": 12, "total": 42}


def test_balance_of_a_user_without_a_wallet_is_zero(user_client):
    assert user_client.get(BALANCE).json() == {"free": 0, "paid": 0, "total": 0}


def test_points_need_a_token(api_client):
    for method, url in (("get", BALANCE), ("get", HISTORY), ("post", USE), ("post", EARN)):
        _error(getattr(api_client, method)(url), 401, "not_authenticated")


def test_earn_by_staff_answers_the_entry(user, staff_client):
    # when
    expires = timezone.now() + timedelta(days=30)
    response = staff_client.post(
        EARN,
        {
            "user_id": user.pk,
            "amount": 500,
            "kind": "free",
            "description": "welcome",
            "expires_at": expires.isoformat(),
        },
    )
    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert {k: body[k] for k in ("type", "amount", "free_delta", "paid_delta")} == {
        "type": "earn",
        "amount": 500,
        "free_delta": 500,
        "paid_delta": 0,
    }
    assert body["balance_after"] == 500 and body["user_id"] == user.pk
    assert body["expires_at"] is not None
    assert set(body) >= {"id", "description", "order_id", "created_at", "cancels_id"}
    assert balances(user) == (500, 0)


def test_earn_is_staff_only(user, user_client):
    response = user_client.post(
        EARN, {"user_id": user.pk, "amount": 5, "kind": "free", "description": "me"}
    )
    _error(response, 403, "permission_denied")
    assert balances(user) == (0, 0)


def test_earn_for_an_unknown_user_is_404(staff_client):
    response = staff_client.post(
        EARN, {"user_id": 987_654_321, "amount": 5, "kind": "free", "description": "x"}
    )
    _error(response, 404, "not_found")
    assert not PointEntry.objects.exists()


def test_use_answers_the_entry_free_before_paid(user, user_client):
    earn(user, 30, FREE)
    earn(user, 50, PAID)
    response = user_client.post(USE, {"amount": 40, "description": "checkout", "order_id": "A1"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["type"], body["amount"], body["free_delta"], body["paid_delta"]) == (
        "use",
        40,
        -30,
        -10,
    )
    assert (body["balance_after"], body["order_id"]) == (40, "A1")


def test_use_beyond_the_balance_is_409_insufficient_points(user, user_client):
    earn(user, 10, FREE)
    response = user_client.post(USE, {"amount": 11, "description": "checkout"})
    _error(response, 409, "insufficient_points")
    assert response.json()["error"]["details"] == {"requested": 11, "available": 10}
    assert balances(user) == (10, 0)


def test_use_and_earn_honour_the_idempotency_key(user, user_client, staff_client):
    # given
    earn(user, 100, FREE)
    # when the same use is sent twice with one key
    first = user_client.post(USE, {"amount": 10, "description": "x"}, HTTP_IDEMPOTENCY_KEY="use-1")
    again = user_client.post(USE, {"amount": 10, "description": "x"}, HTTP_IDEMPOTENCY_KEY="use-1")
    other = user_client.post(USE, {"amount": 11, "description": "x"}, HTTP_IDEMPOTENCY_KEY="use-1")
    # then it happened once
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    _error(other, 422, "idempotency_key_mismatch")
    assert balances(user) == (90, 0)
    # and the same for earn
    body = {"user_id": user.pk, "amount": 7, "kind": "paid", "description": "bought"}
    staff_client.post(EARN, body, HTTP_IDEMPOTENCY_KEY="earn-1")
    replay = staff_client.post(EARN, body, HTTP_IDEMPOTENCY_KEY="earn-1")
    assert replay["Idempotent-Replayed"] == "true"
    assert balances(user) == (90, 7)


def test_a_refused_use_is_replayed_as_refused(user, user_client):
    first = user_client.post(USE, {"amount": 5, "description": "x"}, HTTP_IDEMPOTENCY_KEY="k")
    _error(first, 409, "insufficient_points")
    earn(user, 50, FREE)
    again = user_client.post(USE, {"amount": 5, "description": "x"}, HTTP_IDEMPOTENCY_KEY="k")
    _error(again, 409, "insufficient_points")
    assert balances(user) == (50, 0)


@pytest.mark.parametrize(
    "amount",
    [0, -1, -10, 1_000_000_001, 10**30, "10", "abc", "", 10.5, 10.0, True, None, [10], {"n": 1}],
)
def test_use_refuses_a_bad_amount_with_400_and_moves_nothing(user, user_client, amount):
    earn(user, 100, FREE)
    before = PointEntry.objects.count()
    response = user_client.post(USE, {"amount": amount, "description": "x"})
    _error(response, 400, "invalid")
    assert "amount" in response.json()["error"]["details"]
    assert balances(user) == (100, 0) and PointEntry.objects.count() == before


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity", "1e400", "1e3"])
def test_use_refuses_non_integer_json_numbers(user, user_client, raw):
    earn(user, 100_000, FREE)
    response = user_client.generic(
        "POST", USE, f'{{"amount": {raw}, "description": "x"}}', content_type="application/json"
    )
    _error(response, 400, "invalid")
    assert balances(user) == (100_000, 0)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"amount": 5},  # description is required
        {"amount": 5, "description": ""},
        {"amount": 5, "description": "x" * 256},
        {"amount": 5, "description": "x", "order_id": "o" * 101},
        {"amount": 5, "description": "nul\x00byte"},
    ],
)
def test_use_refuses_bad_bodies(user, user_client, body):
    earn(user, 100, FREE)
    _error(user_client.post(USE, body), 400, "invalid")
    assert balances(user) == (100, 0)


def test_use_refuses_malformed_json(user, user_client):
    earn(user, 100, FREE)
    response = user_client.generic("POST", USE, "{amount: 5", content_type="application/json")
    assert response.status_code == 400 and "error" in response.json()
    response = user_client.generic("POST", USE, json.dumps([5]), content_type="application/json")
    assert response.status_code == 400 and "error" in response.json()
    assert balances(user) == (100, 0)


@pytest.mark.parametrize(
    "changes",
    [
        {"amount": 0},
        {"amount": -3},
        {"amount": 10**20},
        {"amount": "5"},
        {"kind": "gold"},
        {"kind": None},
        {"user_id": "abc"},
        {"user_id": 10**30},
        {"user_id": -1},
        {"kind": "paid", "expires_at": "2999-01-01T00:00:00Z"},
        {"expires_at": "2000-01-01T00:00:00Z"},
        {"expires_at": "not a date"},
        {"description": ""},
    ],
)
def test_earn_refuses_bad_input_with_400(user, staff_client, changes):
    body = {"user_id": user.pk, "amount": 5, "kind": "free", "description": "x", **changes}
    _error(staff_client.post(EARN, body), 400, "invalid")
    assert balances(user) == (0, 0)


def test_owner_cancels_a_use_and_gets_the_compensating_entry(user, user_client):
    earn(user, 30, FREE)
    earn(user, 30, PAID)
    use = points_use(user_id=user.pk, amount=40, description="order")
    response = user_client.post(_cancel_url(use.pk))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["type"], body["free_delta"], body["paid_delta"], body["cancels_id"]) == (
        "cancel",
        30,
        10,
        use.pk,
    )
    assert balances(user) == (30, 30)
    _error(user_client.post(_cancel_url(use.pk)), 409, "already_cancelled")
    assert PointEntry.objects.filter(type="cancel").count() == 1


def test_cancelling_an_earn_already_spent_is_409(user, user_client):
    entry = earn(user, 30, FREE)
    points_use(user_id=user.pk, amount=1, description="x")
    _error(user_client.post(_cancel_url(entry.pk)), 409, "insufficient_points")
    assert balances(user) == (29, 0)


def test_another_users_entry_is_404_for_a_customer_and_cancellable_by_staff(user, staff_client):
    entry = earn(user, 30, FREE)
    stranger = client_for(UserFactory())
    _error(stranger.post(_cancel_url(entry.pk)), 404, "not_found")
    assert balances(user) == (30, 0)
    response = staff_client.post(_cancel_url(entry.pk))
    assert response.status_code == 201 and response.json()["user_id"] == user.pk
    assert balances(user) == (0, 0)


@pytest.mark.parametrize("entry_id", ["0", "999999999", "99999999999999999999999"])
def test_cancelling_an_unknown_entry_is_404(user_client, entry_id):
    _error(user_client.post(_cancel_url(entry_id)), 404, "not_found")


def test_history_lists_own_entries_newest_first_with_filters(user, user_client):
    # given
    earn(user, 100, FREE)
    use = points_use(user_id=user.pk, amount=10, description="order", order_id="B7")
    earn(UserFactory(), 5, FREE)  # someone else's
    # when
    body = user_client.get(HISTORY).json()
    # then
    assert [row["type"] for row in body["results"]] == ["use", "earn"]
    row = body["results"][0]
    assert set(row) >= {
        "id",
        "type",
        "amount",
        "free_delta",
        "paid_delta",
        "balance_after",
        "description",
        "order_id",
        "created_at",
    }
    assert (row["id"], row["amount"], row["balance_after"], row["order_id"]) == (
        use.pk,
        10,
        90,
        "B7",
    )
    assert [r["type"] for r in user_client.get(HISTORY, {"type": "earn"}).json()["results"]] == [
        "earn"
    ]
    later = (timezone.now() + timedelta(minutes=1)).isoformat()
    assert user_client.get(HISTORY, {"created_after": later}).json()["results"] == []
    assert len(user_client.get(HISTORY, {"created_before": later}).json()["results"]) == 2


@pytest.mark.parametrize(
    "query", [{"type": "steal"}, {"created_after": "yesterday"}, {"page_size": "0"}]
)
def test_history_refuses_bad_filters(user_client, query):
    _error(user_client.get(HISTORY, query), 400, "invalid")


def test_history_pages_with_a_constant_number_of_queries(
    user, user_client, django_assert_num_queries
):
    for i in range(25):
        earn(user, i + 1, FREE if i % 2 else PAID, expires_at=None)
    with django_assert_num_queries(1):
        first = user_client.get(HISTORY, {"page_size": 10}).json()
    assert len(first["results"]) == 10 and first["next"]
    second = user_client.get(first["next"]).json()
    assert first["results"][-1]["id"] > second["results"][0]["id"]
