"""ReservationFilterSet on GET /reservations/: `status` narrows the caller's
reservations (everyone's for staff), and a bad one is the 400 envelope naming
it, in DRF's words."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.tests.helpers import UserFactory
from apps.core.tests.helpers import client_for
from apps.products.tests.helpers import ProductFactory, WarehouseFactory
from apps.reservations.services import (
    reservation_cancel,
    reservation_confirm,
    reservation_expire_due,
)
from apps.reservations.tests.helpers import reserve
from apps.stock.models import Reservation, ReservationLine
from apps.stock.tests.helpers import stock_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/reservations/"


@pytest.fixture
def shopper():
    return UserFactory()


@pytest.fixture
def held(shopper):
    """One reservation of the shopper's in each status, and someone else's pending one."""
    product = ProductFactory()
    stock_of(product, WarehouseFactory(), 20)
    made = {
        status: reserve(product, 1, user=shopper)
        for status in ("pending", "confirmed", "cancelled", "expired")
    }
    reservation_confirm(reservation_id=made["confirmed"].pk, user=shopper)
    reservation_cancel(reservation_id=made["cancelled"].pk, user=shopper)
    past = timezone.now() - timedelta(seconds=1)
    Reservation.objects.filter(pk=made["expired"].pk).update(expires_at=past)
    ReservationLine.objects.filter(reservation_id=made["expired"].pk).update(expires_at=past)
    reservation_expire_due()
    made["theirs"] = reserve(product, 1)
    return {name: str(reservation.pk) for name, reservation in made.items()}


def _ids(client, query) -> list[str]:
    response = client.get(URL, query)
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.mark.parametrize("status", ["pending", "confirmed", "cancelled", "expired"])
def test_status_narrows_to_the_callers_reservations_in_it(shopper, held, status):
    assert _ids(client_for(shopper), {"status": status}) == [held[status]]


def test_without_status_or_with_an_empty_one_every_reservation_is_listed(shopper, held):
    client = client_for(shopper)
    assert len(_ids(client, {})) == 4
    assert len(_ids(client, {"status": ""})) == 4


def test_staff_narrow_everyones(held):
    staff = client_for(UserFactory(is_staff=True))
    assert set(_ids(staff, {"status": "pending"})) == {held["pending"], held["theirs"]}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("lost", '"lost" is not a valid choice.'),
        ("PENDING", '"PENDING" is not a valid choice.'),
        (" ", '" " is not a valid choice.'),
        ("100%", '"100%" is not a valid choice.'),
    ],
)
def test_a_bad_status_is_a_400_naming_it(user_client, value, message):
    response = user_client.get(URL, {"status": value})
    assert response.status_code == 400
    assert response.json() == {
        "error": {"code": "invalid", "message": "Invalid input.", "details": {"status": [message]}}
    }
