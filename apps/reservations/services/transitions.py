"""Confirm, cancel and extend a hold: pending -> confirmed | cancelled | expired.

Who may: the reservation's owner, or staff; anyone else gets the 404 of a
reservation that does not exist. When: a pending hold until its expiry (the
rule is apps/stock/holds/rules.py). Each decision is taken on the reservation
as locked, first in the global lock order, then its stock rows. A confirm or a
cancel first tries the store's one step (PostgreSQL): it reads the reservation
without a lock and, if the caller may end it, it is pending and not expired,
ends it, locking it and going on only if it is still pending with the expiry
read. (A request made within a hold's time is so decided by that time, even if
it waited for the lock past it; the hold it ends was not extended, expired or
ended meanwhile.) A reservation that has ended never changes again, so it is
answered (or refused) from that read. Anything else is decided under the lock.
"""

from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.core.errors import InvalidState, NotFound
from apps.core.roles import Role
from apps.stock.holds.rules import hold_expired
from apps.stock.holds.services import hold_extend, holds_record_release, holds_release, holds_store
from apps.stock.holds.store import CANCELLED, CONFIRMED, EXPIRED, Ending, OneStepHoldStore
from apps.stock.models import Reservation, ReservationStatus

from ..errors import ReservationExpired
from .reserve import ttl_checked


def _visible_to(reservation: Reservation, user) -> bool:
    return reservation.user_id == user.pk or user.has_role(Role.STAFF)


def _locked_own(reservation_id: UUID, user) -> Reservation:
    reservation = holds_store().lock_reservation(reservation_id=reservation_id)
    if reservation is None or not _visible_to(reservation, user):
        raise NotFound("Reservation not found.")
    return reservation


def _one_step(reservation_id: UUID, user, ending: Ending, now: datetime) -> Reservation | None:
    """The store's one step (module docstring): the reservation as read, ended
    `ending`'s way when it was the caller's, pending and not expired. None where
    the store has no one step."""
    store = holds_store()
    if not isinstance(store, OneStepHoldStore):
        return None
    seen, released = store.end_if_pending(
        reservation_id=reservation_id,
        user_id=user.pk,
        any_user=user.has_role(Role.STAFF),
        ending=ending,
        now=now,
    )
    if seen is None or not _visible_to(seen, user):
        raise NotFound("Reservation not found.")
    if released:
        holds_record_release(reservations=[seen], released=released, ending=ending, now=now)
    return seen


def _confirmable(reservation: Reservation, now: datetime) -> bool:
    """Whether to confirm it: yes when pending and in time; no when already
    confirmed (confirming again is a no-op); else a refusal."""
    if reservation.status == ReservationStatus.CONFIRMED:
        return False
    if reservation.status == ReservationStatus.EXPIRED:
        raise ReservationExpired()
    if reservation.status != ReservationStatus.PENDING:
        raise InvalidState(details={"status": reservation.status})
    if hold_expired(reservation.expires_at, now):
        raise ReservationExpired(details={"expires_at": reservation.expires_at.isoformat()})
    return True


def reservation_confirm(*, reservation_id: UUID, user) -> Reservation:
    """pending -> confirmed: the units leave on_hand (shipped). Confirming again is
    a no-op; an expired hold cannot be confirmed."""
    now = timezone.now()
    seen = _one_step(reservation_id, user, CONFIRMED, now)
    if seen is not None and seen.status != ReservationStatus.PENDING:
        _confirmable(seen, now)  # ended: confirmed now or before, or a refusal
        return seen
    with transaction.atomic():
        reservation = _locked_own(reservation_id, user)
        now = timezone.now()
        if _confirmable(reservation, now):
            holds_release(reservations=[reservation], ending=CONFIRMED, now=now)
    return reservation


def _cancellation(reservation: Reservation, now: datetime) -> Ending | None:
    """How a cancel ends it: cancelled when pending and in time, expired when its
    time is up; nothing when it holds nothing any more; a confirmed one is a 409."""
    if reservation.status in (ReservationStatus.CANCELLED, ReservationStatus.EXPIRED):
        return None
    if reservation.status == ReservationStatus.CONFIRMED:
        raise InvalidState(
            "A confirmed reservation cannot be cancelled.", details={"status": reservation.status}
        )
    return EXPIRED if hold_expired(reservation.expires_at, now) else CANCELLED


def reservation_cancel(*, reservation_id: UUID, user) -> Reservation:
    """pending -> cancelled: units go back. Cancelling a hold that no longer holds
    anything (cancelled, expired) answers it unchanged; a confirmed one is a 409."""
    now = timezone.now()
    seen = _one_step(reservation_id, user, CANCELLED, now)
    if seen is not None and seen.status != ReservationStatus.PENDING:
        _cancellation(seen, now)  # ended: cancelled now or before, or a refusal
        return seen
    with transaction.atomic():
        reservation = _locked_own(reservation_id, user)
        now = timezone.now()
        ending = _cancellation(reservation, now)
        if ending is not None:
            holds_release(reservations=[reservation], ending=ending, now=now)
    return reservation


@transaction.atomic
def reservation_extend(*, reservation_id: UUID, user, ttl_seconds: int) -> Reservation:
    """Hold until `ttl_seconds` from now, never past created_at + the max TTL and
    never earlier than the hold already runs."""
    ttl = ttl_checked(ttl_seconds)
    reservation = _locked_own(reservation_id, user)
    now = timezone.now()
    if reservation.status == ReservationStatus.EXPIRED or (
        reservation.status == ReservationStatus.PENDING
        and hold_expired(reservation.expires_at, now)
    ):
        raise ReservationExpired()
    if reservation.status != ReservationStatus.PENDING:
        raise InvalidState(details={"status": reservation.status})
    latest = reservation.created_at + timedelta(seconds=settings.RESERVATION_MAX_TTL_SECONDS)
    # Never earlier than it already was: an extension asking for less time than
    # remains leaves the hold as it is.
    hold_extend(
        reservation=reservation,
        expires_at=max(reservation.expires_at, min(now + ttl, latest)),
        now=now,
    )
    return reservation
