import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from apps.accounts.tests.helpers import UserFactory
from apps.core.tests.helpers import assert_envelope, client_for
from apps.ledger.models import StockMovement
from apps.products.tests.helpers import ProductFactory, WarehouseFactory
from apps.reservations.services import reservation_expire_due
from apps.reservations.tests.helpers import make_due, reserve
from apps.stock.models import Reservation, ReservationLine, Stock
from apps.stock.tests.helpers import stock_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/reservations/"


def _post(client, product, quantity, order_id="o-1", key=None, **extra):
    body = {
        "order_id": order_id,
        "lines": [{"product_id": str(product.pk), "quantity": quantity}],
        **extra,
    }
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(URL, body, format="json", **headers)


def _available(product) -> int:
    from apps.stock.selectors import availability_get

    return availability_get(product_id=product.pk).available


# --- create ------------------------------------------------------------------


def test_create_holds_stock_by_warehouse_priority(user_client, shop):
    # given
    product, first, second = shop
    # when 7 units are asked for with no warehouse named
    response = _post(user_client, product, 7)
    # then the first warehouse gives all 5, the second the remaining 2
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending" and body["order_id"] == "o-1"
    assert sorted((line["warehouse"], line["quantity"]) for line in body["lines"]) == [
        ("BSN-1", 2),
        ("SEL-1", 5),
    ]
    expires = timezone.datetime.fromisoformat(body["expires_at"])
    assert timedelta(seconds=890) < expires - timezone.now() <= timedelta(seconds=900)
    assert Stock.objects.get(warehouse=first).reserved == 5
    assert Stock.objects.get(warehouse=second).reserved == 2
    assert StockMovement.objects.filter(type="reserve").count() == 2
    assert _available(product) == 8


def test_create_takes_a_named_warehouse_only(user_client, shop):
    product, first, _second = shop
    body = {
        "order_id": "o",
        "lines": [{"product_id": str(product.pk), "quantity": 6, "warehouse": "bsn-1"}],
    }
    response = user_client.post(URL, body, format="json")
    assert response.status_code == 201
    assert [(line["warehouse"], line["quantity"]) for line in response.json()["lines"]] == [
        ("BSN-1", 6)
    ]
    assert Stock.objects.get(warehouse=first).reserved == 0


def test_two_lines_of_one_product_count_together(user_client, shop):
    product, _, _ = shop
    body = {
        "order_id": "o",
        "lines": [
            {"product_id": str(product.pk), "quantity": 8},
            {"product_id": str(product.pk), "quantity": 8},
        ],
    }
    error = assert_envelope(user_client.post(URL, body, format="json"), 409, "insufficient_stock")
    assert error["details"] == [{"product_id": str(product.pk), "requested": 16, "available": 15}]


def test_insufficient_stock_lists_every_short_product_and_reserves_nothing(user_client, shop):
    # given a second product with 1 unit
    product, first, _ = shop
    scarce = ProductFactory()
    stock_of(scarce, first, 1)
    plenty = ProductFactory()
    stock_of(plenty, first, 100)
    body = {
        "order_id": "o",
        "lines": [
            {"product_id": str(product.pk), "quantity": 20},
            {"product_id": str(plenty.pk), "quantity": 3},
            {"product_id": str(scarce.pk), "quantity": 2},
        ],
    }
    # when
    error = assert_envelope(user_client.post(URL, body, format="json"), 409, "insufficient_stock")
    # then
    assert sorted(error["details"], key=lambda d: d["requested"]) == [
        {"product_id": str(scarce.pk), "requested": 2, "available": 1},
        {"product_id": str(product.pk), "requested": 20, "available": 15},
    ]
    assert not Reservation.objects.exists()
    assert sum(Stock.objects.values_list("reserved", flat=True)) == 0


def test_duplicate_order_id_is_409_per_user(user_client, shop, user):
    product, _, _ = shop
    assert _post(user_client, product, 1).status_code == 201
    assert_envelope(_post(user_client, product, 1), 409, "duplicate_order_id")
    other = client_for(UserFactory())
    assert _post(other, product, 1).status_code == 201


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"status": "inactive"}, "status is inactive"),
        ({"sale_starts_at": timezone.now() + timedelta(days=1)}, "sale has not started"),
        ({"sale_ends_at": timezone.now() - timedelta(seconds=1)}, "sale has ended"),
    ],
)
def test_a_product_not_on_sale_is_409(user_client, shop, changes, reason):
    product, _, _ = shop
    type(product).objects.filter(pk=product.pk).update(**changes)
    error = assert_envelope(_post(user_client, product, 1), 409, "product_not_on_sale")
    assert error["details"] == [{"product_id": str(product.pk), "reason": reason}]


def test_unknown_product_or_warehouse_is_404(user_client, shop):
    product, _, _ = shop
    ghost = {"order_id": "o", "lines": [{"product_id": str(uuid.uuid4()), "quantity": 1}]}
    assert_envelope(user_client.post(URL, ghost, format="json"), 404, "not_found")
    nowhere = {
        "order_id": "o",
        "lines": [{"product_id": str(product.pk), "quantity": 1, "warehouse": "NOPE"}],
    }
    assert_envelope(user_client.post(URL, nowhere, format="json"), 404, "not_found")


def _line(product_id="P", quantity=1, **extra):
    return {"product_id": product_id, "quantity": quantity, **extra}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "order_id"),
        ({"order_id": "o"}, "lines"),
        ({"order_id": "o", "lines": []}, "lines"),
        ({"order_id": "o", "lines": "x"}, "lines"),
        ({"order_id": "x" * 101, "lines": [_line()]}, "order_id"),
        ({"order_id": None, "lines": [_line()]}, "order_id"),
        ({"order_id": "o", "lines": [_line(quantity=0)]}, "lines"),
        ({"order_id": "o", "lines": [_line(quantity=-3)]}, "lines"),
        ({"order_id": "o", "lines": [_line(quantity=10**12)]}, "lines"),
        ({"order_id": "o", "lines": [_line(quantity="two")]}, "lines"),
        ({"order_id": "o", "lines": [_line(product_id="not-a-uuid")]}, "lines"),
        ({"order_id": "o", "lines": [_line(product_id=7)]}, "lines"),
        ({"order_id": "o", "lines": [{"quantity": 1}]}, "lines"),
        ({"order_id": "o", "lines": [_line()] * 101}, "lines"),
        ({"order_id": "o", "lines": [_line()], "ttl_seconds": 59}, "ttl_seconds"),
        ({"order_id": "o", "lines": [_line()], "ttl_seconds": 86401}, "ttl_seconds"),
        ({"order_id": "o", "lines": [_line()], "ttl_seconds": "x"}, "ttl_seconds"),
    ],
)
def test_bad_input_is_400_and_reserves_nothing(user_client, shop, body, field):
    # given the placeholder "P" standing for a real product's id
    product, _, _ = shop
    lines = body.get("lines")
    if isinstance(lines, list):
        body = {
            **body,
            "lines": [
                {**line, "product_id": str(product.pk)} if line.get("product_id") == "P" else line
                for line in lines
            ],
        }
    # when / then
    error = assert_envelope(user_client.post(URL, body, format="json"), 400, "invalid")
    assert field in error["details"]
    assert not Reservation.objects.exists()
    assert not StockMovement.objects.filter(type="reserve").exists()


def test_reservations_need_a_token(api_client, shop):
    product, _, _ = shop
    assert_envelope(_post(api_client, product, 1), 401, "not_authenticated")


def test_create_is_idempotent_with_a_key(user_client, shop):
    product, _, _ = shop
    first = _post(user_client, product, 2, key="cart-1")
    again = user_client.post(
        URL,
        {"order_id": "o-1", "lines": [{"product_id": str(product.pk), "quantity": 2}]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="cart-1",
    )
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert Reservation.objects.count() == 1
    mismatch = _post(user_client, product, 3, order_id="o-1", key="cart-1")
    assert_envelope(mismatch, 422, "idempotency_key_mismatch")


# --- read --------------------------------------------------------------------


def test_customers_see_only_their_own_reservations(shop, django_assert_num_queries):
    product, _, _ = shop
    alice, bob = UserFactory(), UserFactory()
    mine = reserve(product, 1, user=alice)
    theirs = reserve(product, 1, user=bob)
    client = client_for(alice)
    with django_assert_num_queries(2):  # page, lines with warehouses (no user query)
        rows = client.get(URL).json()["results"]
    assert [r["id"] for r in rows] == [str(mine.pk)]
    assert client.get(f"{URL}{mine.pk}/").status_code == 200
    assert_envelope(client.get(f"{URL}{theirs.pk}/"), 404, "not_found")
    assert_envelope(client.post(f"{URL}{theirs.pk}/cancel/"), 404, "not_found")
    staff = client_for(UserFactory(is_staff=True))
    assert len(staff.get(URL).json()["results"]) == 2


def test_list_filters_by_status(user_client, user, shop):
    product, _, _ = shop
    pending, gone = reserve(product, 1, user=user), reserve(product, 1, user=user)
    user_client.post(f"{URL}{gone.pk}/cancel/")
    rows = user_client.get(URL, {"status": "pending"}).json()["results"]
    assert [r["id"] for r in rows] == [str(pending.pk)]
    assert_envelope(user_client.get(URL, {"status": "lost"}), 400, "invalid")


# --- transitions -------------------------------------------------------------


def test_confirm_ships_the_units_out_of_on_hand(user_client, user, shop):
    product, first, _ = shop
    held = reserve(product, 3, user=user)
    response = user_client.post(f"{URL}{held.pk}/confirm/")
    assert response.status_code == 200
    assert response.json()["status"] == "confirmed" and response.json()["confirmed_at"]
    stock = Stock.objects.get(warehouse=first)
    assert (stock.on_hand, stock.reserved) == (2, 0)
    assert StockMovement.objects.filter(type="confirm", reservation_id=held.pk).count() == 1
    again = user_client.post(f"{URL}{held.pk}/confirm/")
    assert again.status_code == 200 and again.json()["status"] == "confirmed"
    assert Stock.objects.get(warehouse=first).on_hand == 2


def test_cancel_returns_the_units_and_is_idempotent(user_client, user, shop):
    product, first, _ = shop
    held = reserve(product, 4, user=user)
    for _ in range(2):
        response = user_client.post(f"{URL}{held.pk}/cancel/")
        assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert Stock.objects.get(warehouse=first).reserved == 0
    assert StockMovement.objects.filter(type="release").count() == 1
    assert_envelope(user_client.post(f"{URL}{held.pk}/confirm/"), 409, "invalid_state")


def test_a_confirmed_reservation_cannot_be_cancelled(user_client, user, shop):
    product, _, _ = shop
    held = reserve(product, 1, user=user)
    user_client.post(f"{URL}{held.pk}/confirm/")
    assert_envelope(user_client.post(f"{URL}{held.pk}/cancel/"), 409, "invalid_state")


def test_an_expired_hold_cannot_be_confirmed_or_extended(user_client, user, shop):
    product, _, _ = shop
    held = reserve(product, 2, user=user)
    make_due(held)
    assert_envelope(user_client.post(f"{URL}{held.pk}/confirm/"), 409, "reservation_expired")
    extend = user_client.post(f"{URL}{held.pk}/extend/", {"ttl_seconds": 600}, format="json")
    assert_envelope(extend, 409, "reservation_expired")
    # cancelling it releases it, recorded as the expiry it is
    response = user_client.post(f"{URL}{held.pk}/cancel/")
    assert response.json()["status"] == "expired"
    assert StockMovement.objects.filter(type="expire").count() == 1


def test_extend_moves_expiry_within_the_max_ttl(user_client, user, shop, settings):
    product, _, _ = shop
    held = reserve(product, 1, user=user, ttl_seconds=60)
    response = user_client.post(f"{URL}{held.pk}/extend/", {"ttl_seconds": 3600}, format="json")
    assert response.status_code == 200
    new_expiry = timezone.datetime.fromisoformat(response.json()["expires_at"])
    assert timedelta(seconds=3590) < new_expiry - timezone.now() <= timedelta(seconds=3600)
    assert set(ReservationLine.objects.values_list("expires_at", flat=True)) == {new_expiry}
    # capped at created_at + the max TTL: a hold made under a max of 1000 s, asked
    # for the whole max again after creation, lands exactly on the cap
    settings.RESERVATION_MAX_TTL_SECONDS = 1000
    capped_hold = reserve(product, 1, user=user, ttl_seconds=600)
    capped = user_client.post(
        f"{URL}{capped_hold.pk}/extend/", {"ttl_seconds": 1000}, format="json"
    )
    cap = capped_hold.created_at + timedelta(seconds=1000)
    assert timezone.datetime.fromisoformat(capped.json()["expires_at"]) == cap


@pytest.mark.parametrize("body", [{}, {"ttl_seconds": 10}, {"ttl_seconds": "soon"}])
def test_extend_rejects_bad_ttl(user_client, user, shop, body):
    product, _, _ = shop
    held = reserve(product, 1, user=user)
    assert_envelope(
        user_client.post(f"{URL}{held.pk}/extend/", body, format="json"), 400, "invalid"
    )


def test_transitions_on_unknown_or_malformed_ids_are_404(user_client):
    for action in ("confirm", "cancel", "extend"):
        assert_envelope(
            user_client.post(f"{URL}{uuid.uuid4()}/{action}/", {"ttl_seconds": 600}, format="json"),
            404,
            "not_found",
        )
    assert_envelope(user_client.post(f"{URL}nope/confirm/"), 404, "not_found")


# --- expiry ------------------------------------------------------------------


def test_an_expired_hold_frees_its_stock_before_the_sweeper_runs(user_client, shop):
    # given all 15 units held, then the hold expires; the sweeper does not run
    product, _, _ = shop
    held = reserve(product, 15)
    assert _available(product) == 0
    make_due(held)
    # then availability already counts them as free
    assert _available(product) == 15
    # and a new reservation gets them, releasing the old hold inline
    response = _post(user_client, product, 15)
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


def test_shortage_details_are_totals_per_product(user_client):
    # given 10 in A and none in B; 10 asked from A by name plus 1 from anywhere
    a, b = WarehouseFactory(code="A-1", priority=1), WarehouseFactory(code="B-1", priority=2)
    product = ProductFactory()
    stock_of(product, a, 10)
    stock_of(product, b, 1)
    from apps.reservations.tests.helpers import reserve as hold_units

    hold_units(product, 1, warehouse=b)
    body = {
        "order_id": "o",
        "lines": [
            {"product_id": str(product.pk), "quantity": 10, "warehouse": "A-1"},
            {"product_id": str(product.pk), "quantity": 1},
        ],
    }
    # when / then: everything asked, everything free
    error = assert_envelope(user_client.post(URL, body, format="json"), 409, "insufficient_stock")
    assert error["details"] == [{"product_id": str(product.pk), "requested": 11, "available": 10}]


def test_extend_never_shortens_a_hold(user_client, user, shop):
    # given a hold of an hour
    product, _, _ = shop
    held = reserve(product, 1, user=user, ttl_seconds=3600)
    # when asked to extend by a minute
    response = user_client.post(f"{URL}{held.pk}/extend/", {"ttl_seconds": 60}, format="json")
    # then it still runs for the hour
    assert response.status_code == 200
    assert timezone.datetime.fromisoformat(response.json()["expires_at"]) == held.expires_at


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
