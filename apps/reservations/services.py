"""Reservations: all-or-nothing holds on stock, with expiry.

Concurrency protocol (DESIGN.md): everything that can be resolved is resolved
before the transaction; inside it, the reservation row is written or locked
first, then the stock rows in one statement ordered by primary key; decisions
are taken on locked rows only; counters, lines and ledger movements are written
together. Expiry is decided by `expires_at`, whether or not the sweeper has run.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.core.exceptions import Conflict, InvalidState, NotFound, ValidationFailed
from apps.products.models import Warehouse
from apps.products.selectors import ProductNotOnSale, products_for_sale, warehouses_by_code
from apps.stock.locks import stock_try_lock_many
from apps.stock.models import Stock
from apps.stock.selectors import stock_candidates
from apps.transactions.models import MovementType

from .locks import (
    reservation_lock,
    reservations_lock_due,
    reservations_try_lock_expired,
    stock_lock_for_reserve,
    stock_lock_of_pending_lines,
)
from .models import Reservation, ReservationLine, ReservationStatus

MAX_LINES = 100


class InsufficientStock(Conflict):
    code = "insufficient_stock"
    default_message = "Not enough stock for every line; nothing was reserved."


class DuplicateOrderId(Conflict):
    code = "duplicate_order_id"
    default_message = "You already have a reservation with this order_id."


class ReservationExpired(Conflict):
    code = "reservation_expired"
    default_message = "The reservation has expired; its stock is no longer held."


@dataclass(frozen=True)
class LineRequest:
    product_id: UUID
    quantity: int
    warehouse_code: str | None = None


def _ttl(ttl_seconds: int | None) -> timedelta:
    low, high = settings.RESERVATION_MIN_TTL_SECONDS, settings.RESERVATION_MAX_TTL_SECONDS
    seconds = settings.RESERVATION_DEFAULT_TTL_SECONDS if ttl_seconds is None else ttl_seconds
    if not low <= seconds <= high:
        raise ValidationFailed(details={"ttl_seconds": [f"Must be between {low} and {high}."]})
    return timedelta(seconds=seconds)


def _demand(lines: list[LineRequest]) -> dict[tuple[UUID, str | None], int]:
    """Quantity wanted per (product, named warehouse or None); repeated lines add up."""
    if not 1 <= len(lines) <= MAX_LINES:
        raise ValidationFailed(details={"lines": [f"Give 1 to {MAX_LINES} lines."]})
    demand: dict[tuple[UUID, str | None], int] = defaultdict(int)
    for line in lines:
        code = line.warehouse_code.strip().upper() if line.warehouse_code else None
        demand[(line.product_id, code)] += line.quantity
    return dict(demand)


def _allocate(
    demand: dict[tuple[UUID, str | None], int], rows: list[Stock], priority: dict[int, tuple]
) -> list[tuple[Stock, int]]:
    """Take units from the locked rows: a named warehouse from its row, the rest
    across the product's rows by warehouse priority. All or nothing: every short
    product is reported (409 with details)."""
    free = {row.pk: row.on_hand - row.reserved for row in rows}
    by_product: dict[UUID, list[Stock]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: priority[r.warehouse_id]):
        by_product[row.product_id].append(row)
    taken: dict[int, int] = defaultdict(int)
    short: set[UUID] = set()
    # Named warehouses first, so an unnamed line cannot take units a named one needs.
    for (product_id, code), quantity in sorted(demand.items(), key=lambda kv: kv[0][1] is None):
        candidates = [
            row
            for row in by_product[product_id]
            if code is None or priority[row.warehouse_id][2] == code
        ]
        remaining = quantity
        for row in candidates:
            take = min(remaining, free[row.pk])
            if take > 0:
                free[row.pk] -= take
                taken[row.pk] += take
                remaining -= take
            if remaining == 0:
                break
        if remaining:
            short.add(product_id)
    if short:
        # Per short product: everything asked for it, everything free of it.
        requested: dict[UUID, int] = defaultdict(int)
        for (product_id, _), quantity in demand.items():
            requested[product_id] += quantity
        raise InsufficientStock(
            details=[
                {
                    "product_id": str(product_id),
                    "requested": requested[product_id],
                    "available": sum(row.on_hand - row.reserved for row in by_product[product_id]),
                }
                for product_id in sorted(short, key=str)
            ]
        )
    rows_by_pk = {row.pk: row for row in rows}
    return [(rows_by_pk[pk], quantity) for pk, quantity in sorted(taken.items())]


# Ending pending holds, set-based, in one statement: close their lines, give the
# units back (or ship them), stamp the reservations and write one movement per
# line whose after-values are the row's running values (the row's final value
# plus what later lines of the batch give back). The caller holds the
# reservations and their stock rows locked.
_RELEASE_SQL = """
WITH released AS (
    UPDATE reservations_line SET pending = false
     WHERE reservation_id = ANY(%(ids)s) AND pending
    RETURNING id, reservation_id, stock_id, product_id, warehouse_id, quantity
), per_row AS (
    SELECT stock_id, SUM(quantity) AS quantity FROM released GROUP BY stock_id
), stock AS (
    UPDATE stock_stock s
       SET reserved = s.reserved - r.quantity,
           on_hand = s.on_hand - CASE WHEN %(ship)s THEN r.quantity ELSE 0 END,
           updated_at = %(now)s
      FROM per_row r
     WHERE s.id = r.stock_id
    RETURNING s.id, s.on_hand, s.reserved
), ended AS (
    UPDATE reservations_reservation
       SET status = %(status)s, updated_at = %(now)s, {stamp} = %(now)s
     WHERE id = ANY(%(ids)s)
), movements AS (
    INSERT INTO stock_movement
        (type, stock_id, product_id, warehouse_id, on_hand_delta, reserved_delta,
         on_hand_after, reserved_after, reservation_id, reason, reference, created_at)
    SELECT %(type)s, l.stock_id, l.product_id, l.warehouse_id,
           CASE WHEN %(ship)s THEN -l.quantity ELSE 0 END, -l.quantity,
           s.on_hand + CASE WHEN %(ship)s THEN l.later ELSE 0 END, s.reserved + l.later,
           l.reservation_id, '', '', %(now)s
      FROM (SELECT released.*,
                   COALESCE(SUM(quantity) OVER (PARTITION BY stock_id ORDER BY id
                            ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING), 0) AS later
              FROM released) l
      JOIN stock s ON s.id = l.stock_id
     ORDER BY l.stock_id, l.id
)
SELECT l.reservation_id, l.stock_id, l.product_id, l.warehouse_id, w.code, l.quantity
  FROM released l JOIN products_warehouse w ON w.id = l.warehouse_id
 ORDER BY l.id
"""
_STAMP = {
    ReservationStatus.CONFIRMED: "confirmed_at",
    ReservationStatus.CANCELLED: "cancelled_at",
    ReservationStatus.EXPIRED: "expired_at",
}


def _release(
    reservations: list[Reservation],
    *,
    status: ReservationStatus,
    movement_type: MovementType,
    now: datetime,
    stock_rows: dict[int, Stock] | None = None,
    on_hand_leaves: bool = False,
) -> None:
    """End pending reservations whose stock rows the caller holds locked: give back
    (or, for a confirm, ship) their units, close their lines, write the movements.
    `stock_rows`, when given, are kept in step with the database."""
    stamp = _STAMP[status]
    with connection.cursor() as cursor:
        cursor.execute(
            _RELEASE_SQL.format(stamp=stamp),
            {
                "ids": [r.pk for r in reservations],
                "ship": on_hand_leaves,
                "now": now,
                "status": status.value,
                "type": movement_type.value,
            },
        )
        released = cursor.fetchall()
    by_reservation: dict[UUID, list[ReservationLine]] = defaultdict(list)
    for reservation_id, stock_id, product_id, warehouse_id, code, quantity in released:
        by_reservation[reservation_id].append(
            ReservationLine(
                reservation_id=reservation_id,
                stock_id=stock_id,
                product_id=product_id,
                warehouse=Warehouse(pk=warehouse_id, code=code),
                quantity=quantity,
                pending=False,
            )
        )
        row = stock_rows.get(stock_id) if stock_rows is not None else None
        if row is not None:
            row.reserved -= quantity
            if on_hand_leaves:
                row.on_hand -= quantity
            row.updated_at = now
    for reservation in reservations:
        reservation.line_list = by_reservation[reservation.pk]
        for line in reservation.line_list:
            line.expires_at = reservation.expires_at
        reservation.status, reservation.updated_at = status, now
        setattr(reservation, stamp, now)


def _release_expired_on(rows: dict[int, Stock], now: datetime) -> None:
    """Inline expiry: pending holds past expires_at on these locked rows stop
    holding stock before anything is decided. A hold whose other rows are busy
    is left to the sweeper (never waited on: no deadlock)."""
    expired_ids = set(
        ReservationLine.objects.filter(
            stock_id__in=list(rows), pending=True, expires_at__lte=now
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
        _release(
            [reservation],
            status=ReservationStatus.EXPIRED,
            movement_type=MovementType.EXPIRE,
            now=now,
            stock_rows=rows,
        )


# The writes of a reserve, in one statement, on stock rows the caller holds
# locked: the counters, the lines and the `reserve` movements. The products are
# read again here, in a snapshot taken after the locks were granted, so a product
# deleted or taken off sale while this request waited is refused: then nothing
# is written and the statement answers 0.
_RESERVE_SQL = """
WITH on_sale AS (
    SELECT count(*) AS n FROM products_product
     WHERE id = ANY(%(products)s) AND deleted_at IS NULL AND status = 'active'
       AND (sale_starts_at IS NULL OR sale_starts_at <= %(now)s)
       AND (sale_ends_at IS NULL OR sale_ends_at > %(now)s)
), taken AS (
    SELECT t.stock_id, t.quantity
      FROM unnest(%(stock_ids)s::bigint[], %(quantities)s::bigint[]) AS t(stock_id, quantity)
     WHERE (SELECT n FROM on_sale) = %(product_count)s
), stock AS (
    UPDATE stock_stock s SET reserved = s.reserved + t.quantity, updated_at = %(now)s
      FROM taken t
     WHERE s.id = t.stock_id
    RETURNING s.id, s.product_id, s.warehouse_id, s.on_hand, s.reserved, t.quantity
), lines AS (
    INSERT INTO reservations_line
        (reservation_id, stock_id, product_id, warehouse_id, quantity, pending, expires_at)
    SELECT %(reservation)s, id, product_id, warehouse_id, quantity, true, %(expires_at)s
      FROM stock ORDER BY id
), movements AS (
    INSERT INTO stock_movement
        (type, stock_id, product_id, warehouse_id, on_hand_delta, reserved_delta,
         on_hand_after, reserved_after, reservation_id, actor_id, reason, reference, created_at)
    SELECT 'reserve', id, product_id, warehouse_id, 0, quantity, on_hand, reserved,
           %(reservation)s, %(actor)s, '', '', %(now)s
      FROM stock ORDER BY id
)
SELECT count(*) FROM stock
"""


def reservation_create(
    *, user_id: int, order_id: str, lines: list[LineRequest], ttl_seconds: int | None = None
) -> Reservation:
    ttl = _ttl(ttl_seconds)
    demand = _demand(lines)
    product_ids = {product_id for product_id, _ in demand}
    products_for_sale(product_ids=product_ids)
    # An unknown named warehouse is a 404 before any lock.
    warehouses_by_code(codes={code for _, code in demand if code})
    candidates = stock_candidates(product_ids=product_ids)
    priority = {row.warehouse_id: (row.priority, row.warehouse_id, row.code) for row in candidates}

    with transaction.atomic():
        now = timezone.now()
        try:
            # Lock order: the reservation first. A duplicate order_id (concurrent
            # or not) fails on the unique index here, before any stock lock; the
            # error leaves this block, so the transaction rolls back whole.
            reservation = Reservation(
                user_id=user_id,
                order_id=order_id,
                status=ReservationStatus.PENDING,
                expires_at=now + ttl,
                created_at=now,
                updated_at=now,
            )
            with connection.cursor() as cursor:  # plain SQL, as the writes below
                cursor.execute(
                    "INSERT INTO reservations_reservation (id, user_id, order_id, status, "
                    "expires_at, created_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    [
                        reservation.pk,
                        user_id,
                        order_id,
                        "pending",
                        reservation.expires_at,
                        now,
                        now,
                    ],
                )
        except IntegrityError as exc:
            raise DuplicateOrderId(details={"order_id": order_id}) from exc
        # Under the stock locks: one statement to lock and read, Python to decide,
        # one statement to write, then the commit. Holds that expired meanwhile
        # are released first (rare: an extra few statements).
        now = timezone.now()
        rows = {
            row.pk: row
            for row in stock_lock_for_reserve(stock_ids=[c.stock_id for c in candidates], now=now)
        }
        if any(row.has_expired_holds for row in rows.values()):
            _release_expired_on(rows, now)
        allocation = _allocate(demand, [rows[c.stock_id] for c in candidates], priority)
        with connection.cursor() as cursor:
            cursor.execute(
                _RESERVE_SQL,
                {
                    "products": list(product_ids),
                    "product_count": len(product_ids),
                    "stock_ids": [row.pk for row, _ in allocation],
                    "quantities": [quantity for _, quantity in allocation],
                    "reservation": reservation.pk,
                    "expires_at": reservation.expires_at,
                    "actor": user_id,
                    "now": now,
                },
            )
            (written,) = cursor.fetchone()
        if written != len(allocation):
            # Taken off sale or deleted while we waited: say which and why.
            products_for_sale(product_ids=product_ids, now=now)
            raise ProductNotOnSale()
    reservation.line_list = [
        ReservationLine(
            reservation=reservation,
            stock_id=row.pk,
            product_id=row.product_id,
            warehouse=Warehouse(pk=row.warehouse_id, code=priority[row.warehouse_id][2]),
            quantity=quantity,
            expires_at=reservation.expires_at,
        )
        for row, quantity in allocation
    ]
    return reservation


def _locked_own(reservation_id: UUID, user) -> Reservation:
    reservation = reservation_lock(reservation_id=reservation_id)
    if reservation is None or not _visible_to(reservation, user):
        raise NotFound("Reservation not found.")
    return reservation


def _visible_to(reservation: Reservation, user) -> bool:
    from apps.core.roles import Role

    return reservation.user_id == user.pk or user.has_role(Role.STAFF)


@transaction.atomic
def reservation_confirm(*, reservation_id: UUID, user) -> Reservation:
    """pending -> confirmed: the units leave on_hand (shipped). Confirming again is
    a no-op; an expired hold cannot be confirmed."""
    reservation = _locked_own(reservation_id, user)
    if reservation.status == ReservationStatus.CONFIRMED:
        return reservation
    if reservation.status == ReservationStatus.EXPIRED:
        raise ReservationExpired()
    if reservation.status != ReservationStatus.PENDING:
        raise InvalidState(details={"status": reservation.status})
    now = timezone.now()
    if reservation.expires_at <= now:
        raise ReservationExpired(details={"expires_at": reservation.expires_at.isoformat()})
    stock_lock_of_pending_lines(reservation_ids=[reservation.pk])
    _release(
        [reservation],
        status=ReservationStatus.CONFIRMED,
        movement_type=MovementType.CONFIRM,
        now=now,
        on_hand_leaves=True,
    )
    return reservation


@transaction.atomic
def reservation_cancel(*, reservation_id: UUID, user) -> Reservation:
    """pending -> cancelled: units go back. Cancelling a hold that no longer holds
    anything (cancelled, expired) answers it unchanged; a confirmed one is a 409."""
    reservation = _locked_own(reservation_id, user)
    if reservation.status in (ReservationStatus.CANCELLED, ReservationStatus.EXPIRED):
        return reservation
    if reservation.status == ReservationStatus.CONFIRMED:
        raise InvalidState(
            "A confirmed reservation cannot be cancelled.", details={"status": reservation.status}
        )
    now = timezone.now()
    expired = reservation.expires_at <= now
    stock_lock_of_pending_lines(reservation_ids=[reservation.pk])
    _release(
        [reservation],
        status=ReservationStatus.EXPIRED if expired else ReservationStatus.CANCELLED,
        movement_type=MovementType.EXPIRE if expired else MovementType.RELEASE,
        now=now,
    )
    return reservation


@transaction.atomic
def reservation_extend(*, reservation_id: UUID, user, ttl_seconds: int) -> Reservation:
    """Hold until `ttl_seconds` from now, never past created_at + the max TTL and
    never earlier than the hold already runs."""
    ttl = _ttl(ttl_seconds)
    reservation = _locked_own(reservation_id, user)
    now = timezone.now()
    if reservation.status == ReservationStatus.EXPIRED or (
        reservation.status == ReservationStatus.PENDING and reservation.expires_at <= now
    ):
        raise ReservationExpired()
    if reservation.status != ReservationStatus.PENDING:
        raise InvalidState(details={"status": reservation.status})
    latest = reservation.created_at + timedelta(seconds=settings.RESERVATION_MAX_TTL_SECONDS)
    # Never earlier than it already was: an extension asking for less time than
    # remains leaves the hold as it is.
    reservation.expires_at = max(reservation.expires_at, min(now + ttl, latest))
    reservation.updated_at = now
    reservation.save(update_fields=["expires_at", "updated_at"])
    ReservationLine.objects.filter(reservation=reservation, pending=True).update(
        expires_at=reservation.expires_at
    )
    return reservation


def reservation_expire_due(*, batch_size: int = 1000, max_batches: int | None = None) -> int:
    """The sweeper: release pending holds past expires_at, in bounded batches, each
    its own transaction. Due rows locked elsewhere are skipped (SKIP LOCKED) and
    picked up next time. Returns how many were expired."""
    expired = batches = 0
    while max_batches is None or batches < max_batches:
        with transaction.atomic():
            now = timezone.now()
            due = reservations_lock_due(now=now, limit=batch_size)
            if not due:
                break
            stock_lock_of_pending_lines(reservation_ids=[r.pk for r in due])
            _release(
                due,
                status=ReservationStatus.EXPIRED,
                movement_type=MovementType.EXPIRE,
                now=now,
            )
        expired += len(due)
        batches += 1
    return expired
