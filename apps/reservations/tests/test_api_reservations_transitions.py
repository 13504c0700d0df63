"""Confirm, cancel and extend over HTTP: POST /api/v1/reservations/{id}/confirm/,
.../cancel/ and .../extend/."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.core.tests.helpers import assert_envelope
from apps.ledger.models import StockMovement
from apps.reservations.tests.helpers import (
    RESERVATIONS,
    make_due,
    reserve,
)
from apps.stock.models import ReservationLine, Stock

pytestmark = pytest.mark.django_db


# --- transitions -------------------------------------------------------------


def test_confirm_ships_the_units_out_of_on_hand(user_client, user, shop):
    product, first, _ = shop
    held = reserve(product, 3, user=user)
    response = user_client.post(f"{RESERVATIONS}{held.pk}/confirm/")
    assert response.status_code == 200
    assert response.json()["status"] == "confirmed" and response.json()["confirmed_at"]
    stock = Stock.objects.get(warehouse=first)
    assert (stock.on_hand, stock.reserved) == (2, 0)
    assert StockMovement.objects.filter(type="confirm", reservation_id=held.pk).count() == 1
    again = user_client.post(f"{RESERVATIONS}{held.pk}/confirm/")
    assert again.status_code == 200 and again.json()["status"] == "confirmed"
    assert Stock.objects.get(warehouse=first).on_hand == 2


def test_cancel_returns_the_units_and_is_idempotent(user_client, user, shop):
    product, first, _ = shop
    held = reserve(product, 4, user=user)
    for _ in range(2):
        response = user_client.post(f"{RESERVATIONS}{held.pk}/cancel/")
        assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert Stock.objects.get(warehouse=first).reserved == 0
    assert StockMovement.objects.filter(type="release").count() == 1
    assert_envelope(user_client.post(f"{RESERVATIONS}{held.pk}/confirm/"), 409, "invalid_state")


def test_a_confirmed_reservation_cannot_be_cancelled(user_client, user, shop):
    product, _, _ = shop
    held = reserve(product, 1, user=user)
    user_client.post(f"{RESERVATIONS}{held.pk}/confirm/")
    assert_envelope(user_client.post(f"{RESERVATIONS}{held.pk}/cancel/"), 409, "invalid_state")


def test_an_expired_hold_cannot_be_confirmed_or_extended(user_client, user, shop):
    product, _, _ = shop
    held = reserve(product, 2, user=user)
    make_due(held)
    assert_envelope(
        user_client.post(f"{RESERVATIONS}{held.pk}/confirm/"), 409, "reservation_expired"
    )
    extend = user_client.post(
        f"{RESERVATIONS}{held.pk}/extend/", {"ttl_seconds": 600}, format="json"
    )
    assert_envelope(extend, 409, "reservation_expired")
    # cancelling it releases it, recorded as the expiry it is
    response = user_client.post(f"{RESERVATIONS}{held.pk}/cancel/")
    assert response.json()["status"] == "expired"
    assert StockMovement.objects.filter(type="expire").count() == 1


def test_extend_moves_expiry_within_the_max_ttl(user_client, user, shop, settings):
    product, _, _ = shop
    held = reserve(product, 1, user=user, ttl_seconds=60)
    response = user_client.post(
        f"{RESERVATIONS}{held.pk}/extend/", {"ttl_seconds": 3600}, format="json"
    )
    assert response.status_code == 200
    new_expiry = timezone.datetime.fromisoformat(response.json()["expires_at"])
    assert timedelta(seconds=3590) < new_expiry - timezone.now() <= timedelta(seconds=3600)
    assert set(ReservationLine.objects.values_list("expires_at", flat=True)) == {new_expiry}
    # capped at created_at + the max TTL: a hold made under a max of 1000 s, asked
    # for the whole max again after creation, lands exactly on the cap
    settings.RESERVATION_MAX_TTL_SECONDS = 1000
    capped_hold = reserve(product, 1, user=user, ttl_seconds=600)
    capped = user_client.post(
        f"{RESERVATIONS}{capped_hold.pk}/extend/", {"ttl_seconds": 1000}, format="json"
    )
    cap = capped_hold.created_at + timedelta(seconds=1000)
    assert timezone.datetime.fromisoformat(capped.json()["expires_at"]) == cap


@pytest.mark.parametrize("body", [{}, {"ttl_seconds": 10}, {"ttl_seconds": "soon"}])
def test_extend_rejects_bad_ttl(user_client, user, shop, body):
    product, _, _ = shop
    held = reserve(product, 1, user=user)
    assert_envelope(
        user_client.post(f"{RESERVATIONS}{held.pk}/extend/", body, format="json"), 400, "invalid"
    )


def test_transitions_on_unknown_or_malformed_ids_are_404(user_client):
    for action in ("confirm", "cancel", "extend"):
        assert_envelope(
            user_client.post(
                f"{RESERVATIONS}{uuid.uuid4()}/{action}/", {"ttl_seconds": 600}, format="json"
            ),
            404,
            "not_found",
        )
    assert_envelope(user_client.post(f"{RESERVATIONS}nope/confirm/"), 404, "not_found")


def test_extend_never_shortens_a_hold(user_client, user, shop):
    # given a hold of an hour
    product, _, _ = shop
    held = reserve(product, 1, user=user, ttl_seconds=3600)
    # when asked to extend by a minute
    response = user_client.post(
        f"{RESERVATIONS}{held.pk}/extend/", {"ttl_seconds": 60}, format="json"
    )
    # then it still runs for the hour
    assert response.status_code == 200
    assert timezone.datetime.fromisoformat(response.json()["expires_at"]) == held.expires_at
