"""The statements that take and give back holds, behind one declared interface.

Two stores implement it (docs/architecture.md, "Holds and their stores"):

- `PortableHoldStore` (portable.py), for any database Django supports and the
  one the embedded SQLite of `make run` runs: the locked path only. Every
  decision is taken in a transaction under the row locks of apps/stock/locks.py
  (on SQLite, no-ops: its IMMEDIATE transactions run one writer at a time).
- `PostgresHoldStore` (postgresql.py): the same steps, each one prepared
  statement or PL/pgSQL call (sql/), plus the one-step paths of
  `OneStepHoldStore`: a reserve allocated from a read without locks and a
  confirm or cancel of a hold read without a lock, each going on under the
  locks it takes only if what it read still holds.

Both answer in the typed results below; the test suite runs every reservation
test through both on PostgreSQL.
"""

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol, runtime_checkable
from uuid import UUID

from apps.ledger.models import MovementType

from ..models import Reservation, ReservationStatus


class Taken(enum.Enum):
    """What a take of holds did."""

    HELD = "held"  # the reservation, its lines, counters and movements are written
    NOT_ON_SALE = "not_on_sale"  # a product left sale meanwhile: nothing written
    CHANGED = "changed"  # (one step) a row's free units or expired holds changed: nothing written
    DUPLICATE_ORDER = "duplicate_order"  # the user has this order_id: nothing written


@dataclass(frozen=True, slots=True)
class StockCandidate:
    """A stock row a reservation may draw from, with its counters and its
    product's price as read without a lock (a first allocation; the decision is
    taken under the lock; the price read is the price the hold keeps)."""

    pk: int
    product_id: UUID
    warehouse_id: int
    priority: int
    code: str
    on_hand: int
    reserved: int
    unit_price: Decimal


@dataclass(slots=True)
class LockedStock:
    """A stock row as a reserve holds it locked: its counters now, and whether a
    pending hold on it has expired (to be released before deciding)."""

    pk: int
    product_id: UUID
    warehouse_id: int
    on_hand: int
    reserved: int
    has_expired_holds: bool
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Take:
    """Units of one stock row for a new hold, at the unit price they keep."""

    stock: StockCandidate | LockedStock
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True, slots=True)
class ReleasedLine:
    """A line of a hold that a release ended."""

    reservation_id: UUID
    stock_id: int
    product_id: UUID
    warehouse_id: int
    warehouse_code: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True, slots=True)
class Ending:
    """How a pending hold ends: its new status, its movements, whether its
    units leave on_hand (shipped) or go back."""

    status: ReservationStatus
    movement_type: MovementType
    ships: bool = False


CONFIRMED = Ending(ReservationStatus.CONFIRMED, MovementType.CONFIRM, ships=True)
CANCELLED = Ending(ReservationStatus.CANCELLED, MovementType.RELEASE)
EXPIRED = Ending(ReservationStatus.EXPIRED, MovementType.EXPIRE)


class HoldStore(Protocol):
    """The locked path, on every database."""

    def resolve(self, *, product_ids: set[UUID], now: datetime) -> list[StockCandidate]:
        """The products' stock rows in active warehouses, by reservation
        priority, read without locks. 404 for an unknown product, 409
        `product_not_on_sale` naming each one off sale at `now`."""

    def lock_for_reserve(self, *, stock_ids: list[int], now: datetime) -> list[LockedStock]:
        """These stock rows, locked in one statement by primary key."""

    def take(
        self, *, hold: Reservation, takes: list[Take], product_ids: set[UUID], now: datetime
    ) -> Taken:
        """Write the hold, its lines, counters and `reserve` movements; the
        caller holds the rows of `takes` locked and has decided on them."""

    def lock_reservation(self, *, reservation_id: UUID) -> Reservation | None:
        """The reservation, locked (first in the global lock order)."""

    def release(
        self, *, reservation_ids: list[UUID], ending: Ending, now: datetime
    ) -> list[ReleasedLine]:
        """End these pending reservations, which the caller holds locked: lock
        their stock rows, give back (or ship) their units, close their lines,
        write the movements. The lines released, in line order."""


@runtime_checkable
class OneStepHoldStore(HoldStore, Protocol):
    """A store whose steps can each go alone, checked under the locks they take."""

    def take_if_unchanged(
        self, *, hold: Reservation, takes: list[Take], product_ids: set[UUID], now: datetime
    ) -> Taken:
        """`take`, from an allocation made without locks: locks the rows itself
        and writes only if each still has its units free and no expired hold
        (else CHANGED)."""

    def end_if_pending(
        self, *, reservation_id: UUID, user_id: int, any_user: bool, ending: Ending, now: datetime
    ) -> tuple[Reservation | None, list[ReleasedLine]]:
        """The reservation as committed (None if there is none) and, when it is
        `user_id`'s (or `any_user`), pending and not yet expired at `now`, its
        `ending`, in one step: the lines released. No line: nothing was done,
        and the reservation is as read."""
