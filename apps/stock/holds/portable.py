"""The hold store through the ORM (store.py), on any database Django supports:
the locked path only.

The embedded default of `make run` (SQLite) runs this one: there the row locks
of apps/stock/locks.py are no-ops and the IMMEDIATE transactions of the SQLite
settings serialize writers instead, so a decision taken in the caller's
transaction cannot be overtaken, and nothing needs to be tried first and
checked after. The test suite runs every reservation test through it on
PostgreSQL too, where its locks are real.
"""

from datetime import datetime
from uuid import UUID

from django.db import IntegrityError, transaction

from apps.ledger.models import MovementType
from apps.ledger.services import movement_build, movements_record_bulk
from apps.products.models import Product
from apps.products.rules import on_sale_q
from apps.products.selectors import products_for_sale

from ..locks import reservation_lock, stock_lock_for_reserve, stock_lock_of_pending_lines
from ..models import Reservation, ReservationLine, Stock
from ..selectors import stock_candidates
from .store import Ending, LockedStock, ReleasedLine, StockCandidate, Take, Taken


class PortableHoldStore:
    """HoldStore (store.py) through the ORM."""

    def resolve(self, *, product_ids: set[UUID], now: datetime) -> list[StockCandidate]:
        products_for_sale(product_ids=product_ids, now=now)
        return stock_candidates(product_ids=product_ids)

    def lock_for_reserve(self, *, stock_ids: list[int], now: datetime) -> list[LockedStock]:
        return [
            LockedStock(
                row.pk,
                row.product_id,
                row.warehouse_id,
                row.on_hand,
                row.reserved,
                row.has_expired_holds,
            )
            for row in stock_lock_for_reserve(stock_ids=stock_ids, now=now)
        ]

    def take(
        self, *, hold: Reservation, takes: list[Take], product_ids: set[UUID], now: datetime
    ) -> Taken:
        # Re-read under the stock locks: a product taken off sale meanwhile is refused.
        if Product.objects.filter(on_sale_q(now), pk__in=product_ids).count() != len(product_ids):
            return Taken.NOT_ON_SALE
        try:
            with transaction.atomic():  # a savepoint: the duplicate is the caller's 409
                hold.save(force_insert=True)
        except IntegrityError:
            return Taken.DUPLICATE_ORDER
        lines, movements = [], []
        for take in sorted(takes, key=lambda take: take.stock.pk):
            row = take.stock
            row.reserved += take.quantity
            Stock.objects.filter(pk=row.pk).update(reserved=row.reserved, updated_at=now)
            lines.append(
                ReservationLine(
                    reservation_id=hold.pk,
                    stock_id=row.pk,
                    product_id=row.product_id,
                    warehouse_id=row.warehouse_id,
                    quantity=take.quantity,
                    unit_price=take.unit_price,
                    pending=True,
                    expires_at=hold.expires_at,
                )
            )
            movements.append(
                movement_build(
                    stock=row,
                    type=MovementType.RESERVE,
                    reserved_delta=take.quantity,
                    reservation_id=hold.pk,
                    actor_id=hold.user_id,
                    now=now,
                )
            )
        ReservationLine.objects.bulk_create(lines)
        movements_record_bulk(movements=movements)
        return Taken.HELD

    def lock_reservation(self, *, reservation_id: UUID) -> Reservation | None:
        return reservation_lock(reservation_id=reservation_id)

    def release(
        self, *, reservation_ids: list[UUID], ending: Ending, now: datetime
    ) -> list[ReleasedLine]:
        rows = stock_lock_of_pending_lines(reservation_ids=reservation_ids)
        lines = list(
            ReservationLine.objects.filter(reservation_id__in=reservation_ids, pending=True)
            .select_related("warehouse")
            .order_by("pk")
        )
        ReservationLine.objects.filter(pk__in=[line.pk for line in lines]).update(pending=False)
        movements = []
        for line in sorted(lines, key=lambda line: (line.stock_id, line.pk)):
            row = rows[line.stock_id]
            shipped = -line.quantity if ending.ships else 0
            row.reserved -= line.quantity
            row.on_hand += shipped
            movements.append(
                movement_build(
                    stock=row,
                    type=ending.movement_type,
                    on_hand_delta=shipped,
                    reserved_delta=-line.quantity,
                    reservation_id=line.reservation_id,
                    now=now,
                )
            )
        for row in rows.values():
            Stock.objects.filter(pk=row.pk).update(
                reserved=row.reserved, on_hand=row.on_hand, updated_at=now
            )
        Reservation.objects.filter(pk__in=reservation_ids).update(
            status=ending.status,
            updated_at=now,
            **{f"{ending.status}_at": now},  # confirmed_at, cancelled_at, expired_at
        )
        movements_record_bulk(movements=movements)
        return [
            ReleasedLine(
                line.reservation_id,
                line.stock_id,
                line.product_id,
                line.warehouse_id,
                line.warehouse.code,
                line.quantity,
                line.unit_price,
            )
            for line in lines
        ]


STORE = PortableHoldStore()
