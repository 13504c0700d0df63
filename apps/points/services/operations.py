"""Earn, use, cancel and expire.

Lots: what an earn still has
----------------------------
Each earn opens a lot (PointLot) with `remaining`. A use takes from free lots
first, soonest expiry first (lots without an expiry last, oldest first among
equals), then from paid lots, oldest first, and records what it took from each
lot (PointAllocation). Cancelling a use puts exactly that back into the same
lots, so restored free points keep the expiry date they had; if that date has
passed, they expire at once, in the same transaction (an `expire` entry follows
the `cancel`). Cancelling an earn needs its lot untouched (remaining == amount),
else 409 `insufficient_points`. Expiry is decided by `expires_at`: every write
first expires the wallet's due lots (an `expire` entry), uses never spend them,
balance reads do not count them, and the beat sweep (`points_expire_due`)
catches wallets nobody writes to.

Every service works on a user's wallet (`user_id`) or a company's
(`company_id`), one of the two; a company's wallet exists from the company's
creation (apps/companies), a user's is created by its first earn.
"""

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Min
from django.utils import timezone

from apps.core.errors import InvalidState, NotFound, ValidationFailed
from apps.core.idempotency import idempotent_service
from apps.core.roles import Role

from ..errors import AlreadyCancelled, InsufficientPoints
from ..models import PointEntry, PointEntryType, PointKind, PointLot, PointWallet
from ..owner import Owner
from .protocol import Lot, Plan, Step, wallet_ensure, write_wallet

DESCRIPTION_MAX = 255
ORDER_ID_MAX = 100


# --- Input checks (the API's serializers check the same; services stand alone) ------


def _check_amount(amount) -> None:
    high = settings.POINTS_MAX_AMOUNT
    if isinstance(amount, bool) or not isinstance(amount, int) or not 1 <= amount <= high:
        raise ValidationFailed(details={"amount": [f"Must be an integer from 1 to {high}."]})


def _check_text(name: str, value: str, limit: int) -> str:
    if not isinstance(value, str) or len(value) > limit or "\x00" in value:
        raise ValidationFailed(details={name: [f"At most {limit} characters."]})
    return value


def _check_owner(owner: Owner) -> None:
    """404 for a user who does not exist, or a company without a wallet."""
    if owner.is_company:
        if not PointWallet.objects.filter(company_id=owner.company_id).exists():
            raise NotFound("Company not found.")
        return
    from django.contrib.auth import get_user_model

    if not get_user_model().objects.filter(pk=owner.user_id).exists():
        raise NotFound("User not found.")


# --- Services ---------------------------------------------------------------------


def wallet_open(*, owner: Owner) -> None:
    """Create the owner's empty wallet (a company's, with the company; a user's
    is otherwise created by its first earn). Call inside the owner's transaction."""
    wallet_ensure(owner)


def _entry_made(entry_id: str) -> PointEntry:
    """The entry an earlier request with the same Idempotency-Key wrote."""
    return PointEntry.objects.select_related("lot").get(pk=int(entry_id))


@idempotent_service(replayed=_entry_made)
def points_earn(
    *,
    user_id: int | None = None,
    company_id: int | None = None,
    amount: int,
    kind: str,
    description: str = "",
    expires_at: datetime | None = None,
    order_id: str = "",
    paid_amount: Decimal | None = None,
    actor_id: int | None = None,
) -> PointEntry:
    """Credit free (rewarded) or paid (bought) points. Only free points may carry
    an expiry, which must lie in the future; only paid ones the money received
    for them (`paid_amount`). Unknown user or company: 404."""
    owner = Owner(user_id, company_id)
    _check_amount(amount)
    _check_text("description", description, DESCRIPTION_MAX)
    _check_text("order_id", order_id, ORDER_ID_MAX)
    if kind not in PointKind.values:
        raise ValidationFailed(details={"kind": [f"Must be one of {', '.join(PointKind.values)}."]})
    if expires_at is not None:
        if kind != PointKind.FREE:
            raise ValidationFailed(details={"expires_at": ["Only free points expire."]})
        if expires_at.tzinfo is None or expires_at <= timezone.now():
            raise ValidationFailed(details={"expires_at": ["Must be in the future."]})
    if paid_amount is not None and (kind != PointKind.PAID or paid_amount < 0):
        raise ValidationFailed(
            details={"paid_amount": ["Only paid points carry the money received (>= 0)."]}
        )
    _check_owner(owner)

    def plan_earn(plan: Plan) -> None:
        plan.expire_due()
        plan.steps.append(
            Step(
                PointEntryType.EARN,
                free_delta=amount if kind == PointKind.FREE else 0,
                paid_delta=amount if kind == PointKind.PAID else 0,
                description=description,
                order_id=order_id,
                paid_amount=paid_amount,
                opens_lot=(kind, expires_at),
            )
        )

    return write_wallet(owner=owner, planner=plan_earn, actor_id=actor_id, create=True)[-1]


@idempotent_service(replayed=_entry_made)
def points_use(
    *,
    user_id: int | None = None,
    company_id: int | None = None,
    amount: int,
    description: str = "",
    order_id: str = "",
    actor_id: int | None = None,
    for_order: bool = False,
) -> PointEntry:
    """Spend points: free before paid (free lots soonest-expiring first). 409
    `insufficient_points` when the wallet holds fewer spendable points.
    `for_order`: spent by a checkout, given back only through its order.
    `actor_id`: who spent them (a user's own wallet: the user by default; a
    company's: the member)."""
    owner = Owner(user_id, company_id)
    _check_amount(amount)
    _check_text("description", description, DESCRIPTION_MAX)
    _check_text("order_id", order_id, ORDER_ID_MAX)

    def plan_use(plan: Plan) -> None:
        plan.expire_due()
        lots = plan.spendable()
        available = sum(lot.remaining for lot in lots)
        if amount > available:
            raise InsufficientPoints(details={"requested": amount, "available": available})
        step = Step(
            PointEntryType.USE, description=description, order_id=order_id, for_order=for_order
        )
        left = amount
        for lot in lots:
            points = min(left, lot.remaining)
            step.takes.append((lot.id, points))
            if lot.kind == PointKind.FREE:
                step.free_delta -= points
            else:
                step.paid_delta -= points
            plan.take(lot, points)
            left -= points
            if not left:
                break
        plan.steps.append(step)

    return write_wallet(
        owner=owner, planner=plan_use, actor_id=actor_id if actor_id is not None else user_id
    )[-1]


def _entry_for_cancel(entry_id: int, user) -> PointEntry:
    entry = (
        PointEntry.objects.select_related("lot")
        .prefetch_related("allocations__lot")
        .filter(pk=entry_id)
        .first()
    )
    # Another customer's entry is a 404, exactly like one that does not exist.
    if entry is None or not (entry.user_id == user.pk or user.has_role(Role.STAFF)):
        raise NotFound("Point entry not found.")
    return entry


def points_cancel(*, entry_id: int, user, for_order: bool = False) -> PointEntry:
    """Write the compensating entry of an earn or a use (owner or staff), which
    moves exactly the free and paid points the original moved, the other way.
    409 `already_cancelled` the second time; 409 `insufficient_points` for an
    earn whose points were already spent or expired."""
    try:
        with transaction.atomic():
            return _cancel(entry_id=entry_id, user=user, for_order=for_order)
    except IntegrityError as exc:
        # The unique `cancels` is the last guard; the version check comes first.
        if "cancels_id" in str(exc):
            raise AlreadyCancelled() from exc
        raise


def _cancel(*, entry_id: int, user, for_order: bool) -> PointEntry:
    entry = _entry_for_cancel(entry_id, user)
    if entry.for_order and not for_order:
        raise InvalidState(
            "Points spent by an order come back through the order (its refund).",
            details={"order_id": entry.order_id},
        )
    if entry.type not in (PointEntryType.EARN, PointEntryType.USE):
        raise InvalidState(
            "Only earn and use entries can be cancelled.", details={"type": entry.type}
        )
    allocations = list(entry.allocations.all())

    def plan_cancel(plan: Plan) -> None:
        # Read after the wallet: a cancel committed since then bumped the version.
        if PointEntry.objects.filter(cancels_id=entry.pk).exists():
            raise AlreadyCancelled()
        step = Step(
            PointEntryType.CANCEL,
            free_delta=-entry.free_delta,
            paid_delta=-entry.paid_delta,
            description=f"Cancels {entry.type} #{entry.pk}.",
            order_id=entry.order_id,
            cancels_id=entry.pk,
        )
        if entry.type == PointEntryType.EARN:
            plan.expire_due()
            lot = plan.lots.get(entry.lot.pk)
            remaining = lot.remaining if lot else 0
            if remaining != entry.amount:
                raise InsufficientPoints(
                    "Points of this earn were already spent or expired; it cannot be cancelled.",
                    details={"amount": entry.amount, "remaining": remaining},
                )
            plan.take(lot, remaining)
            plan.steps.append(step)
        else:
            for allocation in allocations:
                lot = plan.lots.setdefault(
                    allocation.lot_id,
                    Lot(allocation.lot_id, allocation.lot.kind, 0, allocation.lot.expires_at),
                )
                plan.take(lot, -allocation.amount)
            plan.steps.append(step)
            plan.expire_due()  # restored points whose date has passed

    entries = write_wallet(owner=Owner.of(entry), planner=plan_cancel, actor_id=user.pk)
    return next(e for e in entries if e.type == PointEntryType.CANCEL)


def points_expire_due(*, batch_size: int = 500) -> int:
    """The sweeper: expire free points past their date, wallets with the oldest
    due points first, one transaction per wallet through the same protocol as
    every write (so it neither loses to nor overrides a concurrent use). Points
    due when the sweep starts are all expired when it ends; later ones wait for
    the next sweep (and meanwhile count for nothing: see the module docstring).
    Returns how many points expired."""
    started = timezone.now()
    expired = 0
    while True:
        owners = list(
            PointLot.objects.filter(remaining__gt=0, expires_at__lte=started)
            .values("user_id", "company_id")
            .annotate(oldest=Min("expires_at"))
            .order_by("oldest", "user_id", "company_id")
            .values_list("user_id", "company_id")[:batch_size]
        )
        progress = 0
        for user_id, company_id in owners:
            with transaction.atomic():
                entries = write_wallet(
                    owner=Owner(user_id, company_id), planner=Plan.expire_due, actor_id=None
                )
            progress += sum(entry.amount for entry in entries)
        expired += progress
        if not progress:  # nothing left (or only what a concurrent write just expired)
            return expired
