"""The companies API: creation with the wallet, members, charges, and every
bad input answered with a 4xx in the envelope, with nothing written."""

import pytest

from apps.accounts.tests.helpers import UserFactory
from apps.companies.models import Company, Membership
from apps.companies.tests.helpers import charge, company, company_balances, member
from apps.core.tests.helpers import client_for
from apps.points.models import PointEntry, PointKind, PointWallet

pytestmark = pytest.mark.django_db


def _charge_url(company_id) -> str:
    return f"/api/v1/companies/{company_id}/points/charge/"


def test_staff_create_a_company_with_its_empty_wallet_in_one_step():
    staff = UserFactory(is_staff=True)

    response = client_for(staff).post(
        "/api/v1/companies/", {"name": "Acme", "registration_number": "123-45"}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "Acme" and body["is_active"] is True
    assert body["wallet"] == {"free": 0, "paid": 0, "total": 0}
    wallet = PointWallet.objects.get(company_id=body["id"])
    assert wallet.user_id is None and (wallet.free_balance, wallet.paid_balance) == (0, 0)


def test_a_registration_number_taken_is_a_400_and_creates_nothing():
    staff = UserFactory(is_staff=True)
    client = client_for(staff)
    body = {"name": "Acme", "registration_number": "123-45"}
    assert client.post("/api/v1/companies/", body, format="json").status_code == 201

    response = client.post("/api/v1/companies/", {**body, "name": "Copy"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "registration_number" in response.json()["error"]["details"]
    assert (
        Company.objects.count() == 1
        and PointWallet.objects.filter(company__isnull=False).count() == 1
    )


def test_only_staff_create_companies_add_members_and_charge():
    user, acme = UserFactory(), company()
    client = client_for(user)
    assert (
        client.post(
            "/api/v1/companies/", {"name": "X", "registration_number": "9"}, format="json"
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/api/v1/companies/{acme.pk}/members/", {"user_id": user.pk}, format="json"
        ).status_code
        == 403
    )
    body = {"amount": 10, "kind": "free", "description": "x"}
    assert client.post(_charge_url(acme.pk), body, format="json").status_code == 403
    assert client_for(user).get("/api/v1/companies/").json()["results"] == []


def test_members_are_added_once_and_unknown_ids_are_404():
    staff, user, acme = UserFactory(is_staff=True), UserFactory(), company()
    client = client_for(staff)
    url = f"/api/v1/companies/{acme.pk}/members/"

    first = client.post(url, {"user_id": user.pk, "role": "manager"}, format="json")
    again = client.post(url, {"user_id": user.pk}, format="json")
    unknown_user = client.post(url, {"user_id": 10**9}, format="json")
    unknown_company = client.post(
        "/api/v1/companies/999999/members/", {"user_id": user.pk}, format="json"
    )
    bad_role = client.post(url, {"user_id": user.pk, "role": "owner"}, format="json")

    assert first.status_code == 201 and first.json()["role"] == "manager"
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_member"
    assert unknown_user.status_code == 404 and unknown_company.status_code == 404
    assert bad_role.status_code == 400
    assert Membership.objects.count() == 1


def test_a_paid_charge_carries_the_money_and_a_free_grant_none():
    staff, acme = UserFactory(is_staff=True), company()
    client = client_for(staff)

    paid = client.post(
        _charge_url(acme.pk),
        {"amount": 100, "kind": "paid", "paid_amount": "95.50", "description": "invoice 7"},
        format="json",
    )
    free = client.post(
        _charge_url(acme.pk),
        {"amount": 20, "kind": "free", "description": "gift", "expires_at": "2999-01-01T00:00:00Z"},
        format="json",
    )

    assert paid.status_code == 201 and free.status_code == 201
    assert paid.json()["paid_amount"] == "95.50" and paid.json()["actor_id"] == staff.pk
    assert free.json()["paid_amount"] is None
    assert free.json()["expires_at"] == "2999-01-01T00:00:00Z"
    assert company_balances(acme) == (20, 100)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"amount": 10, "kind": "paid", "description": "x"}, "paid_amount"),
        ({"amount": 10, "kind": "free", "paid_amount": "1.00", "description": "x"}, "paid_amount"),
        ({"amount": "10", "kind": "free", "description": "x"}, "amount"),
        ({"amount": 0, "kind": "free", "description": "x"}, "amount"),
        ({"amount": 10**30, "kind": "free", "description": "x"}, "amount"),
        ({"amount": 10, "kind": "gold", "description": "x"}, "kind"),
        ({"amount": 10, "kind": "paid", "paid_amount": "-1", "description": "x"}, "paid_amount"),
        ({"amount": 10, "kind": "paid", "paid_amount": "1e40", "description": "x"}, "paid_amount"),
        ({"amount": 10, "kind": "free"}, "description"),
        (
            {
                "amount": 10,
                "kind": "free",
                "description": "x",
                "expires_at": "2001-01-01T00:00:00Z",
            },
            "expires_at",
        ),
        (
            {
                "amount": 10,
                "kind": "paid",
                "paid_amount": "1",
                "description": "x",
                "expires_at": "2999-01-01T00:00:00Z",
            },
            "expires_at",
        ),
    ],
)
def test_bad_charges_are_400_naming_the_field_and_write_nothing(body, field):
    staff, acme = UserFactory(is_staff=True), company()

    response = client_for(staff).post(_charge_url(acme.pk), body, format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["details"]
    assert not PointEntry.objects.exists()


def test_a_charge_of_an_unknown_company_is_404():
    staff = UserFactory(is_staff=True)
    body = {"amount": 10, "kind": "free", "description": "x"}
    response = client_for(staff).post(_charge_url(999999), body, format="json")
    assert response.status_code == 404


def test_a_charge_replayed_with_its_key_charges_once_and_another_company_is_a_mismatch():
    staff, acme, other = UserFactory(is_staff=True), company(), company("Other")
    client = client_for(staff)
    body = {"amount": 10, "kind": "paid", "paid_amount": "10.00", "description": "x"}

    first = client.post(_charge_url(acme.pk), body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = client.post(_charge_url(acme.pk), body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    elsewhere = client.post(_charge_url(other.pk), body, format="json", HTTP_IDEMPOTENCY_KEY="k1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert elsewhere.status_code == 422
    assert company_balances(acme) == (0, 10) and company_balances(other) == (0, 0)


def test_a_use_replayed_with_its_key_spends_once():
    staff, user, acme = UserFactory(is_staff=True), UserFactory(), company()
    member(acme, user)
    charge(acme, 50, PointKind.FREE, actor=staff)
    client = client_for(user)
    url = f"/api/v1/companies/{acme.pk}/points/use/"
    body = {"amount": 20, "description": "taxi"}

    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="u1")
    again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="u1")
    short = client.post(url, {"amount": 31, "description": "x"}, format="json")

    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    assert short.status_code == 409 and short.json()["error"]["code"] == "insufficient_points"
    assert company_balances(acme) == (30, 0)


def test_a_users_own_wallet_is_untouched_by_the_companys():
    from apps.points.tests.helpers import balances, earn

    staff, user, acme = UserFactory(is_staff=True), UserFactory(), company()
    member(acme, user)
    earn(user, 7)
    charge(acme, 50, PointKind.FREE, actor=staff)

    assert (
        client_for(user)
        .post(
            f"/api/v1/companies/{acme.pk}/points/use/",
            {"amount": 50, "description": "x"},
            format="json",
        )
        .status_code
        == 201
    )

    assert balances(user) == (7, 0)
    assert client_for(user).get("/api/v1/points/balance/").json()["total"] == 7
    assert company_balances(acme) == (0, 0)
