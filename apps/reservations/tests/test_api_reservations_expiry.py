"""Expiry over HTTP: a due hold holds nothing before the sweeper runs, the sweeper,
and the other writers of stock rows (a count, a delete) meeting expired holds."""

import pytest

from apps.core.tests.helpers import assert_envelope
from apps.ledger.models import StockMovement
from apps.reservations.services import reservation_expire_due
from apps.reservations.tests.helpers import available_units, make_due, post_reservation, reserve
from apps.stock.models import Reservation, Stock

pytestmark = pytest.mark.django_db


# --- expiry ------------------------------------------------------------------


def test_an_expired_hold_frees_its_stock_before_the_sweeper_runs(user_client, shop):
    # given all 15 units held, then the hold expires; the sweeper does not run
    product, _, _ = shop
    held = reserve(product, 15)
    assert available_units(product) == 0
    make_due(held)
    # then availability already counts them as free
    assert available_units(product) == 15
    # and a new reservation gets them, releasing the old hold inline
    response = post_reservation(user_client, product, 15)
    assert response.status_code == 201, response.content
    held.refresh_from_db()
    assert held.status == "expired"
    assert StockMovement.objects.filter(type="expire", reservation_id=held.pk).count() == 2


def test_the_sweeper_expires_due_holds_only(shop):
    product, _, _ = shop
    due, live = reserve(product, 2), reserve(product, 3)
    make_due(due)
    assert reservation_expire_due() == 1
    due.refresh_from_db()
    live.refresh_from_db()
    assert (due.status, live.status) == ("expired", "pending")
    assert sum(Stock.objects.values_list("reserved", flat=True)) == 3
    assert reservation_expire_due() == 0


# --- other writers meet expired holds -----------------------------------------


def test_a_count_below_expired_holds_ends_them_instead_of_refusing(shop, warehouse_client):
    # given 4 of SEL-1's 5 units held by a hold that is past due, not yet swept
    product, first, _ = shop
    held = reserve(product, 4, warehouse=first)
    make_due(held)
    # when a cycle count finds 2 on the shelf
    response = warehouse_client.post(
        "/api/v1/stock/adjust/",
        {"product_id": str(product.pk), "warehouse": "SEL-1", "on_hand": 2, "reason": "count"},
        format="json",
    )
    # then the count is taken: the expired hold held nothing any more
    assert response.status_code == 201, response.json()
    assert response.json()["stock"]["reserved"] == 0
    assert Reservation.objects.get(pk=held.pk).status == "expired"
    assert StockMovement.objects.filter(reservation_id=held.pk, type="expire").count() == 1
    stock = Stock.objects.get(product=product, warehouse=first)
    assert (stock.on_hand, stock.reserved) == (2, 0)


def test_a_count_below_live_holds_is_still_refused(shop, warehouse_client):
    product, first, _ = shop
    reserve(product, 4, warehouse=first)
    response = warehouse_client.post(
        "/api/v1/stock/adjust/",
        {"product_id": str(product.pk), "warehouse": "SEL-1", "on_hand": 2, "reason": "count"},
        format="json",
    )
    assert_envelope(response, 409, "below_reserved")


def test_a_product_whose_holds_all_expired_can_be_deleted(shop, staff_client):
    product, _, _ = shop
    held = reserve(product, 7)  # over both rows
    make_due(held)
    assert staff_client.delete(f"/api/v1/products/{product.pk}/").status_code == 204
    assert Reservation.objects.get(pk=held.pk).status == "expired"
    assert sum(s.reserved for s in Stock.objects.filter(product=product)) == 0


def test_a_product_with_a_live_hold_cannot_be_deleted(shop, staff_client):
    product, _, _ = shop
    reserve(product, 1)
    assert_envelope(staff_client.delete(f"/api/v1/products/{product.pk}/"), 409, "product_in_use")


def test_a_due_hold_reads_expired_everywhere_the_moment_it_is_due_and_the_same_after_the_sweep(
    shop,
):
    from apps.core.tests.helpers import admin_session, client_for
    from apps.reservations.tests.helpers import RESERVATIONS

    product, _, _ = shop
    due = reserve(product, 2)
    live = reserve(product, 3, user=due.user)
    make_due(due)
    due.refresh_from_db()
    client = client_for(due.user)

    # the sweeper has not run: stored as pending, read as expired
    assert Reservation.objects.get(pk=due.pk).status == "pending"
    before = client.get(f"{RESERVATIONS}{due.pk}/").json()
    assert (before["status"], before["expired_at"]) == ("expired", before["expires_at"])
    expired = client.get(RESERVATIONS, {"status": "expired"}).json()["results"]
    pending = client.get(RESERVATIONS, {"status": "pending"}).json()["results"]
    assert [r["id"] for r in expired] == [str(due.pk)]
    assert [r["id"] for r in pending] == [str(live.pk)]
    staff_admin = admin_session(is_staff=True)
    page = staff_admin.get("/admin/stock/reservation/", {"status": "expired"})
    assert page.status_code == 200
    assert "expired (sweep pending)" in page.content.decode()
    assert str(live.order_id) not in page.content.decode()
    # and a write refuses it as expired
    assert_envelope(client.post(f"{RESERVATIONS}{due.pk}/confirm/"), 409, "reservation_expired")

    # the sweeper only tidies up: every answer stays what it was
    assert reservation_expire_due() == 1
    assert client.get(f"{RESERVATIONS}{due.pk}/").json() == before
    page = staff_admin.get("/admin/stock/reservation/", {"status": "expired"})
    assert "sweep pending" not in page.content.decode() and due.order_id in page.content.decode()
