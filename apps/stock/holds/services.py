"""Hold services: every write that gives back, ships or extends a hold.

The reservations app calls these for confirm, cancel, extend and the sweeper;
the stock app's own writers (a cycle count, a product delete) call
`holds_release_expired` on the rows they lock, so that a hold past its expiry
never stands in their way, whether or not the sweeper has run.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from django.db import connection, transaction

from apps.products.models import Warehouse

from ..locks import reservations_lock_due, reservations_try_lock_expired, stock_try_lock_many
from ..models import Reservation, ReservationLine
from .portable import STORE as PORTABLE
from .postgresql import STORE as POSTGRESQL
from .rules import expired_holds_q
from .store import EXPIRED, Ending, HoldStore, ReleasedLine


def holds_store() -> HoldStore:
    """The store for the database in use (store.py)."""
    return POSTGRESQL if connection.vendor == "postgresql" else PORTABLE


def holds_release(
    *,
    reservations: list[Reservation],
    ending: Ending,
    now: datetime,
    stock_rows: dict | None = None,
) -> None:
    """End pending reservations the caller holds locked, `ending`'s way: their
    units go back (or ship), their lines close, their movements are written.
    The reservations (and `stock_rows`, when given: locked rows the caller goes
    on deciding with) are kept in step in memory."""
    released = holds_store().release(
        reservation_ids=[r.pk for r in reservations], ending=ending, now=now
    )
    holds_record_release(
        reservations=reservations, released=released, ending=ending, now=now, stock_rows=stock_rows
    )


def holds_record_release(
    *,
    reservations: list[Reservation],
    released: Iterable[ReleasedLine],
    ending: Ending,
    now: datetime,
    stock_rows: dict | None = None,
) -> None:
    """What a release wrote (its lines, as the store answers them), on the
    reservations and stock rows in memory."""
    by_reservation: dict[UUID, list[ReservationLine]] = defaultdict(list)
    for line in released:
        by_reservation[line.reservation_id].append(
            ReservationLine(
                reservation_id=line.reservation_id,
                stock_id=line.stock_id,
                product_id=line.product_id,
                warehouse=Warehouse(pk=line.warehouse_id, code=line.warehouse_code),
                quantity=line.quantity,
                unit_price=line.unit_price,
                pending=False,
            )
        )
        row = stock_rows.get(line.stock_id) if stock_rows is not None else None
        if row is not None:
            row.reserved -= line.quantity
            if ending.ships:
                row.on_hand -= line.quantity
            row.updated_at = now
    stamp = f"{ending.status}_at"  # confirmed_at, cancelled_at, expired_at
    for reservation in reservations:
        reservation.line_list = by_reservation[reservation.pk]
        for line in reservation.line_list:
            line.expires_at = reservation.expires_at
        reservation.status, reservation.updated_at = ending.status, now
        setattr(reservation, stamp, now)


def holds_release_expired(*, rows: dict, now: datetime) -> None:
    """Inline expiry, for any writer holding these stock rows locked (a reserve, a
    cycle count, a product delete): pending holds on them past their expiry stop
    holding stock before anything is decided, with their `expire` movements;
    `rows` are kept in step. A hold whose other rows are busy is left to the
    sweeper (never waited on: no deadlock)."""
    expired_ids = set(
        ReservationLine.objects.filter(
            expired_holds_q(now), stock_id__in=list(rows), pending=True
        ).values_list("reservation_id", flat=True)
    )
    for reservation in reservations_try_lock_expired(reservation_ids=expired_ids, now=now):
        needed = set(
            ReservationLine.objects.filter(reservation=reservation, pending=True).values_list(
                "stock_id", flat=True
            )
        )
        missing = needed - set(rows)
        if missing:
            extra = stock_try_lock_many(stock_ids=missing)
            if len(extra) != len(missing):
                continue
            rows.update({row.pk: row for row in extra})
        holds_release(reservations=[reservation], ending=EXPIRED, now=now, stock_rows=rows)


def holds_expire_due(*, now: datetime, limit: int) -> int:
    """One batch of the sweeper, in the caller's transaction: up to `limit`
    pending holds past their expiry that no one else is working on (SKIP
    LOCKED), released as expired. How many."""
    due = reservations_lock_due(now=now, limit=limit)
    if due:
        holds_release(reservations=due, ending=EXPIRED, now=now)
    return len(due)


@transaction.atomic
def hold_extend(*, reservation: Reservation, expires_at: datetime, now: datetime) -> None:
    """Hold until `expires_at`: the reservation (which the caller holds locked)
    and its pending lines, which mirror it."""
    reservation.expires_at, reservation.updated_at = expires_at, now
    reservation.save(update_fields=["expires_at", "updated_at"])
    ReservationLine.objects.filter(reservation=reservation, pending=True).update(
        expires_at=expires_at
    )
