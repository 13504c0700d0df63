"""Confirm, cancel, extend and the sweeper called directly
(apps/reservations/services/transitions.py and expiry.py), through both hold
stores: the state each leaves, the counters and ledger rows, which repeats are
no-ops and which are refusals. Races are test_concurrency_reservations' and
test_one_step's."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.core.errors import InvalidState, NotFound, ValidationFailed
from apps.ledger.tests.helpers import ledger
from apps.reservations.errors import ReservationExpired
from apps.reservations.services import (
    reservation_cancel,
    reservation_confirm,
    reservation_expire_due,
    reservation_extend,
)
from apps.reservations.tests.helpers import make_due, reserve
from apps.stock.models import Reservation, ReservationLine, Stock
from apps.stock.tests.helpers import counters

pytestmark = pytest.mark.django_db


def _rows(shop) -> list[tuple[int, int]]:
    """(on_hand, reserved) of SEL-1's row, then BSN-1's."""
    product, first, second = shop
    return [counters(Stock.objects.get(product=product, warehouse=w)) for w in (first, second)]


def _status(reservation) -> str:
    return Reservation.objects.get(pk=reservation.pk).status


# --- confirm -----------------------------------------------------------------------


def test_a_confirm_ships_every_line_and_answers_the_ended_hold(shop, user):
    # given 7 held over both rows
    product, _, _ = shop
    held = reserve(product, 7, user=user)
    # when
    confirmed = reservation_confirm(reservation_id=held.pk, user=user)
    # then the units left on_hand, row by row, in the ledger too
    stored = Reservation.objects.get()
    assert (confirmed.pk, confirmed.status, stored.status) == (held.pk, "confirmed", "confirmed")
    assert confirmed.confirmed_at == stored.confirmed_at is not None
    assert (stored.cancelled_at, stored.expired_at) == (None, None)
    lines = confirmed.line_list
    assert sorted((line.warehouse.code, line.quantity, line.pending) for line in lines) == [
        ("BSN-1", 2, False),
        ("SEL-1", 5, False),
    ]
    assert not ReservationLine.objects.filter(pending=True).exists()
    assert _rows(shop) == [(0, 0), (8, 0)]
    assert ledger(reservation_id=held.pk, type="confirm") == [
        ("confirm", -5, -5, 0, 0),
        ("confirm", -2, -2, 8, 0),
    ]


def test_confirming_again_answers_the_first_confirm_and_changes_nothing(shop, user):
    product, _, _ = shop
    held = reserve(product, 3, user=user)
    first = reservation_confirm(reservation_id=held.pk, user=user)
    movements = ledger()
    again = reservation_confirm(reservation_id=held.pk, user=user)
    assert (again.status, again.confirmed_at) == ("confirmed", first.confirmed_at)
    assert ledger() == movements
    assert _rows(shop) == [(2, 0), (10, 0)]


def test_a_due_hold_cannot_be_confirmed_and_stays_as_it_was(shop, user):
    product, _, _ = shop
    held = reserve(product, 3, user=user)
    make_due(held)
    due_at = Reservation.objects.get().expires_at
    with pytest.raises(ReservationExpired) as raised:
        reservation_confirm(reservation_id=held.pk, user=user)
    assert (raised.value.code, raised.value.status_code) == ("reservation_expired", 409)
    assert raised.value.details == {"expires_at": due_at.isoformat()}
    # left to the sweeper (or the next writer of its rows): still pending, still counted
    assert _status(held) == "pending"
    assert _rows(shop) == [(5, 3), (10, 0)]


@pytest.mark.parametrize("ended", ["cancelled", "expired"])
def test_an_ended_hold_cannot_be_confirmed(shop, user, ended):
    product, _, _ = shop
    held = reserve(product, 3, user=user)
    if ended == "cancelled":
        reservation_cancel(reservation_id=held.pk, user=user)
    else:
        make_due(held)
        assert reservation_expire_due() == 1
    movements = ledger()
    refusal = InvalidState if ended == "cancelled" else ReservationExpired
    with pytest.raises(refusal) as raised:
        reservation_confirm(reservation_id=held.pk, user=user)
    if ended == "cancelled":
        assert (raised.value.code, raised.value.details) == ("invalid_state", {"status": ended})
    assert _status(held) == ended and ledger() == movements
    assert _rows(shop) == [(5, 0), (10, 0)]


# --- cancel ------------------------------------------------------------------------


def test_a_cancel_gives_every_unit_back(shop, user):
    product, _, _ = shop
    held = reserve(product, 7, user=user)
    cancelled = reservation_cancel(reservation_id=held.pk, user=user)
    stored = Reservation.objects.get()
    assert (cancelled.status, stored.status) == ("cancelled", "cancelled")
    assert cancelled.cancelled_at == stored.cancelled_at is not None
    assert [line.pending for line in cancelled.line_list] == [False, False]
    assert _rows(shop) == [(5, 0), (10, 0)]
    assert ledger(reservation_id=held.pk, type="release") == [
        ("release", 0, -5, 5, 0),
        ("release", 0, -2, 10, 0),
    ]


def test_a_due_hold_cancelled_ends_as_the_expiry_it_is(shop, user):
    product, _, _ = shop
    held = reserve(product, 7, user=user)
    make_due(held)
    ended = reservation_cancel(reservation_id=held.pk, user=user)
    assert (ended.status, ended.cancelled_at) == ("expired", None)
    assert ended.expired_at is not None
    assert _rows(shop) == [(5, 0), (10, 0)]
    assert [row[0] for row in ledger(reservation_id=held.pk)] == [
        "reserve",
        "reserve",
        "expire",
        "expire",
    ]


@pytest.mark.parametrize("ended", ["cancelled", "expired"])
def test_cancelling_a_hold_that_holds_nothing_answers_it_unchanged(shop, user, ended):
    product, _, _ = shop
    held = reserve(product, 3, user=user)
    if ended == "cancelled":
        first = reservation_cancel(reservation_id=held.pk, user=user)
    else:
        make_due(held)
        reservation_expire_due()
        first = Reservation.objects.get()
    movements = ledger()
    again = reservation_cancel(reservation_id=held.pk, user=user)
    assert again.status == ended
    assert (again.cancelled_at, again.expired_at) == (first.cancelled_at, first.expired_at)
    assert ledger() == movements


def test_a_confirmed_hold_cannot_be_cancelled(shop, user):
    product, _, _ = shop
    held = reserve(product, 3, user=user)
    reservation_confirm(reservation_id=held.pk, user=user)
    with pytest.raises(InvalidState) as raised:
        reservation_cancel(reservation_id=held.pk, user=user)
    assert raised.value.message == "A confirmed reservation cannot be cancelled."
    assert raised.value.details == {"status": "confirmed"}
    assert _rows(shop) == [(2, 0), (10, 0)]


def test_transitions_take_keyword_arguments_only(shop, user):
    product, _, _ = shop
    held = reserve(product, 1, user=user)
    for transition in (reservation_confirm, reservation_cancel):
        with pytest.raises(TypeError):
            transition(held.pk, user)
    with pytest.raises(TypeError):
        reservation_extend(held.pk, user, 600)
    assert _status(held) == "pending"


def test_a_transition_of_an_unknown_reservation_is_not_found(user):
    for transition in (reservation_confirm, reservation_cancel):
        with pytest.raises(NotFound):
            transition(reservation_id=uuid.uuid4(), user=user)
    with pytest.raises(NotFound):
        reservation_extend(reservation_id=uuid.uuid4(), user=user, ttl_seconds=600)


# --- extend ------------------------------------------------------------------------


def test_an_extend_moves_the_hold_and_its_lines_and_no_stock(shop, user):
    product, _, _ = shop
    held = reserve(product, 7, user=user, ttl_seconds=60)
    movements = ledger()
    before = timezone.now()
    extended = reservation_extend(reservation_id=held.pk, user=user, ttl_seconds=3600)
    assert before + timedelta(seconds=3600) <= extended.expires_at
    assert extended.expires_at <= timezone.now() + timedelta(seconds=3600)
    assert Reservation.objects.get().expires_at == extended.expires_at
    assert set(ReservationLine.objects.values_list("expires_at", flat=True)) == {
        extended.expires_at
    }
    assert ledger() == movements and _rows(shop) == [(5, 5), (10, 2)]


@pytest.mark.parametrize("ttl", [59, 86401])
def test_an_extend_out_of_bounds_is_invalid(shop, user, ttl):
    product, _, _ = shop
    held = reserve(product, 1, user=user)
    with pytest.raises(ValidationFailed) as raised:
        reservation_extend(reservation_id=held.pk, user=user, ttl_seconds=ttl)
    assert (raised.value.code, raised.value.details) == (
        "invalid",
        {"ttl_seconds": ["Must be between 60 and 86400."]},
    )
    assert Reservation.objects.get().expires_at == held.expires_at


@pytest.mark.parametrize("ended", ["cancelled", "confirmed"])
def test_an_ended_hold_cannot_be_extended(shop, user, ended):
    product, _, _ = shop
    held = reserve(product, 1, user=user)
    end = reservation_cancel if ended == "cancelled" else reservation_confirm
    end(reservation_id=held.pk, user=user)
    with pytest.raises(InvalidState) as raised:
        reservation_extend(reservation_id=held.pk, user=user, ttl_seconds=600)
    assert raised.value.details == {"status": ended}
    assert Reservation.objects.get().expires_at == held.expires_at


@pytest.mark.parametrize("swept", [False, True])
def test_an_expired_hold_cannot_be_extended_swept_or_not(shop, user, swept):
    product, _, _ = shop
    held = reserve(product, 1, user=user)
    make_due(held)
    if swept:
        reservation_expire_due()
    with pytest.raises(ReservationExpired):
        reservation_extend(reservation_id=held.pk, user=user, ttl_seconds=600)
    assert _status(held) == ("expired" if swept else "pending")


# --- the sweeper -------------------------------------------------------------------


def test_the_sweeper_works_in_bounded_batches_and_says_how_many_it_ended(shop):
    # given a live hold of one unit, then five of one unit that are due
    product, _, _ = shop
    live = reserve(product, 1)
    due = [reserve(product, 1) for _ in range(5)]
    for held in due:
        make_due(held)
    # when it may run two batches of two, then without a bound
    assert reservation_expire_due(batch_size=2, max_batches=2) == 4
    assert sum(_status(held) == "pending" for held in due) == 1
    assert reservation_expire_due(batch_size=2) == 1
    assert reservation_expire_due() == 0
    # then every due hold is expired with its movement, the live one untouched
    assert {_status(held) for held in due} == {"expired"}
    assert _status(live) == "pending"
    assert _rows(shop) == [(5, 1), (10, 0)]
    assert len(ledger(type="expire")) == 5
    assert ledger(type="expire")[-1] == ("expire", 0, -1, 10, 0)  # the last due, on BSN-1


def test_the_sweeper_leaves_ended_and_live_holds_alone(shop, user):
    product, _, _ = shop
    confirmed, cancelled, live = (reserve(product, 1, user=user) for _ in range(3))
    reservation_confirm(reservation_id=confirmed.pk, user=user)
    reservation_cancel(reservation_id=cancelled.pk, user=user)
    movements = ledger()
    assert reservation_expire_due() == 0
    assert [_status(h) for h in (confirmed, cancelled, live)] == [
        "confirmed",
        "cancelled",
        "pending",
    ]
    assert ledger() == movements
