"""Reading reservations over HTTP: GET /api/v1/reservations/ and /{id}/ (own, staff
all), and the rendering of each outcome."""

import json

import pytest
from rest_framework.renderers import JSONRenderer

from apps.accounts.tests.helpers import UserFactory
from apps.core.tests.helpers import assert_envelope, client_for
from apps.reservations.services import reservation_expire_due
from apps.reservations.tests.helpers import (
    RESERVATIONS,
    make_due,
    reserve,
)

pytestmark = pytest.mark.django_db


# --- read --------------------------------------------------------------------


def test_customers_see_only_their_own_reservations(shop, django_assert_num_queries):
    product, _, _ = shop
    alice, bob = UserFactory(), UserFactory()
    mine = reserve(product, 1, user=alice)
    theirs = reserve(product, 1, user=bob)
    client = client_for(alice)
    with django_assert_num_queries(2):  # page, lines with warehouses (no user query)
        rows = client.get(RESERVATIONS).json()["results"]
    assert [r["id"] for r in rows] == [str(mine.pk)]
    assert client.get(f"{RESERVATIONS}{mine.pk}/").status_code == 200
    assert_envelope(client.get(f"{RESERVATIONS}{theirs.pk}/"), 404, "not_found")
    assert_envelope(client.post(f"{RESERVATIONS}{theirs.pk}/cancel/"), 404, "not_found")
    staff = client_for(UserFactory(is_staff=True))
    assert len(staff.get(RESERVATIONS).json()["results"]) == 2


def test_list_filters_by_status(user_client, user, shop):
    product, _, _ = shop
    pending, gone = reserve(product, 1, user=user), reserve(product, 1, user=user)
    user_client.post(f"{RESERVATIONS}{gone.pk}/cancel/")
    rows = user_client.get(RESERVATIONS, {"status": "pending"}).json()["results"]
    assert [r["id"] for r in rows] == [str(pending.pk)]
    assert_envelope(user_client.get(RESERVATIONS, {"status": "lost"}), 400, "invalid")


@pytest.mark.parametrize("outcome", ["pending", "confirmed", "cancelled", "expired"])
def test_the_lean_rendering_equals_what_the_declared_fields_render(shop, outcome):
    from apps.reservations.selectors import reservation_get
    from apps.reservations.serializers import ReservationOutputSerializer
    from apps.reservations.services import reservation_cancel, reservation_confirm

    product, _, _ = shop
    held = reserve(product, 7)  # split over both warehouses: two lines
    if outcome == "confirmed":
        reservation_confirm(reservation_id=held.pk, user=held.user)
    elif outcome == "cancelled":
        reservation_cancel(reservation_id=held.pk, user=held.user)
    elif outcome == "expired":
        make_due(held)
        reservation_expire_due()
    loaded = reservation_get(reservation_id=held.pk, user=held.user)
    serializer = ReservationOutputSerializer(loaded)
    declared = super(ReservationOutputSerializer, serializer).to_representation(loaded)
    rendered = json.loads(JSONRenderer().render(declared))  # as the response carries it
    assert serializer.data == rendered
    assert len(rendered["lines"]) == 2
    assert rendered["status"] == outcome
