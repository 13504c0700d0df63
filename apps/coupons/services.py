"""Coupons: first-come-first-served issuance into users' wallets, redemption by
the checkout, release on refund.

Concurrency (docs/architecture.md, "Lock order"): a claim first reads the cached sold-out flag
(an early "no": no lock, no query); otherwise the coupon row is locked and the
window, the remaining quantity and the one-per-user rule are decided on it; the
issue row is inserted and the count bumped in the same transaction. Redemption
and release lock the issue row only. Lock order: coupon, then issue.
"""

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from apps.core.errors import InvalidState, NotFound, ValidationFailed
from apps.core.idempotency import idempotent_service

from . import cache
from .errors import AlreadyIssued, BelowIssued, CouponInvalid, CouponNotActive, SoldOut
from .locks import coupon_issue_lock, coupon_issues_lock_expirable, coupon_lock
from .models import (
    CODE_ALPHABET,
    CODE_LENGTH,
    MAX_TOTAL_QUANTITY,
    Coupon,
    CouponIssue,
    CouponIssueStatus,
)

CODE_ATTEMPTS = 5
CODE_PATTERN = re.compile(rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")
CENT = Decimal("0.01")


# --- staff: create and edit ------------------------------------------------------


@dataclass(frozen=True)
class CouponData:
    name: str
    total_quantity: int
    starts_at: datetime
    ends_at: datetime
    discount_amount: Decimal | None = None
    discount_rate: int | None = None
    product_id: UUID | None = None
    min_order_amount: Decimal | None = None


def _validate(values: Mapping[str, Any]) -> None:
    """The rules across fields (each field's own bounds are the serializer's)."""
    errors: dict[str, list[str]] = {}
    if (values.get("discount_amount") is None) == (values.get("discount_rate") is None):
        errors["non_field_errors"] = ["Give exactly one of discount_amount or discount_rate."]
    if values["ends_at"] <= values["starts_at"]:
        errors["ends_at"] = ["Must be after starts_at."]
    if not 1 <= values["total_quantity"] <= MAX_TOTAL_QUANTITY:
        errors["total_quantity"] = [f"Must be between 1 and {MAX_TOTAL_QUANTITY}."]
    if errors:
        raise ValidationFailed(details=errors)


def _product_must_exist(product_id: UUID | None) -> None:
    if product_id is not None:
        from apps.products.selectors import product_get

        product_get(product_id=product_id)  # 404 for an unknown or deleted product


def coupon_create(*, data: CouponData) -> Coupon:
    values = dict(data.__dict__)
    _validate(values)
    _product_must_exist(data.product_id)
    return Coupon.objects.create(**values)


EDITABLE = frozenset(
    {
        "name",
        "total_quantity",
        "starts_at",
        "ends_at",
        "discount_amount",
        "discount_rate",
        "product_id",
        "min_order_amount",
    }
)


def coupon_update(*, coupon_id: int, changes: Mapping[str, Any]) -> Coupon:
    """Staff edit, under the coupon's row lock (so that a claim never decides on a
    total that is being changed). Lowering total_quantity below issued_count is a
    409 `below_issued`. A changed total clears the sold-out flag after commit."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValidationFailed(details={field: ["Cannot be changed."] for field in sorted(unknown)})
    if "product_id" in changes:
        _product_must_exist(changes["product_id"])
    with transaction.atomic():
        coupon = coupon_lock(coupon_id=coupon_id)
        if coupon is None:
            raise NotFound("Coupon not found.")
        merged = {field: getattr(coupon, field) for field in EDITABLE} | dict(changes)
        _validate(merged)
        if merged["total_quantity"] < coupon.issued_count:
            raise BelowIssued(
                details={
                    "issued_count": coupon.issued_count,
                    "total_quantity": merged["total_quantity"],
                }
            )
        total_changed = merged["total_quantity"] != coupon.total_quantity
        for field, value in changes.items():
            setattr(coupon, field, value)
        coupon.updated_at = timezone.now()
        coupon.save(update_fields=[*changes, "updated_at"])
        if total_changed:
            coupon_id, total = coupon.pk, coupon.total_quantity
            transaction.on_commit(
                lambda: cache.total_quantity_changed(coupon_id=coupon_id, total_quantity=total)
            )
    return coupon


# --- customers: claim ------------------------------------------------------------


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


_INSERT_ISSUE = """
INSERT INTO coupons_issue (coupon_id, user_id, code, status, created_at, updated_at)
VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT DO NOTHING
RETURNING id
"""


def _insert_issue(coupon: Coupon, user_id: int) -> CouponIssue:
    """Insert the issue with a fresh code, in one statement under the coupon's row
    lock: no savepoint and no prior look-up. A clash on either unique constraint
    inserts nothing; then the user already holding one is `already_issued`, else
    the code clashed (rare) and another is drawn, a bounded number of times."""
    now = timezone.now()
    for _ in range(CODE_ATTEMPTS):
        issue = CouponIssue(
            coupon=coupon,
            user_id=user_id,
            code=_new_code(),
            status=CouponIssueStatus.ISSUED,
            created_at=now,
            updated_at=now,
        )
        with connection.cursor() as cursor:
            cursor.execute(_INSERT_ISSUE, [coupon.pk, user_id, issue.code, issue.status, now, now])
            row = cursor.fetchone()
        if row is not None:
            issue.pk = row[0]
            return issue
        if CouponIssue.objects.filter(coupon=coupon, user_id=user_id).exists():
            raise AlreadyIssued()
    raise IntegrityError(f"no free coupon code after {CODE_ATTEMPTS} draws")


def _window_refusal(coupon: Coupon, now: datetime) -> CouponNotActive | None:
    if now < coupon.starts_at:
        return CouponNotActive(
            "The coupon cannot be claimed yet.",
            details={"reason": "not_started", "starts_at": coupon.starts_at.isoformat()},
        )
    if now >= coupon.ends_at:
        return CouponNotActive(
            "The coupon can no longer be claimed.",
            details={"reason": "ended", "ends_at": coupon.ends_at.isoformat()},
        )
    return None


def _issue_made(issue_id: str) -> CouponIssue:
    """The issue an earlier request with the same Idempotency-Key made."""
    return CouponIssue.objects.select_related("coupon").get(pk=int(issue_id))


@idempotent_service(replayed=_issue_made, atomic=False)
def coupon_issue(*, coupon_id: int, user_id: int) -> CouponIssue:
    """Claim one coupon for a user. 409 `sold_out` (from the cached flag without
    any lock, or decided under the lock), `already_issued`, `coupon_not_active`
    (details.reason: not_started / ended); 404 for an unknown coupon. With an
    Idempotency-Key the key is looked up first, so a retry after a lost answer
    replays the code issued rather than a later `sold_out`."""
    if cache.sold_out_flagged(coupon_id=coupon_id):
        raise SoldOut()
    with transaction.atomic():
        coupon = coupon_lock(coupon_id=coupon_id)
        if coupon is None:
            raise NotFound("Coupon not found.")
        refusal = _window_refusal(coupon, timezone.now())
        if refusal is not None:
            raise refusal
        if coupon.issued_count >= coupon.total_quantity:
            # Observed under the lock on committed data (this transaction changed
            # nothing): flag it now, while still holding the lock. A raise of the
            # total waits for this lock, so its clearing comes after.
            cache.sold_out_flag_set(coupon_id=coupon.pk, total_quantity=coupon.total_quantity)
            raise SoldOut()
        issue = _insert_issue(coupon, user_id)
        Coupon.objects.filter(pk=coupon.pk).update(
            issued_count=F("issued_count") + 1, updated_at=issue.created_at
        )
        coupon.issued_count += 1
        if coupon.issued_count == coupon.total_quantity:
            total = coupon.total_quantity
            transaction.on_commit(
                lambda: cache.sold_out_flag_set(coupon_id=coupon_id, total_quantity=total)
            )
    issue.coupon = coupon
    return issue


# --- checkout: redeem and release ----------------------------------------------


@dataclass(frozen=True)
class Redemption:
    issue: CouponIssue
    discount: Decimal


def coupon_discount(*, coupon: Coupon, amount: Decimal) -> Decimal:
    """The discount on `amount`: the fixed amount, or the rate (rounded half up to
    the cent); never more than the amount itself."""
    if coupon.discount_amount is not None:
        discount = coupon.discount_amount
    else:
        discount = (amount * coupon.discount_rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    return min(discount, amount)


def _money(value: Decimal, field: str) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise ValidationFailed(details={field: ["Must be a finite, non-negative amount."]})
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def coupon_redeem(
    *,
    code: str,
    user_id: int,
    order_id: UUID,
    amount: Decimal,
    product_amounts: Mapping[UUID, Decimal] | None = None,
) -> Redemption:
    """issued -> redeemed by `order_id`, under the issue row's lock (called inside
    the checkout's transaction). `amount` is the order's subtotal: the minimum
    order amount applies to it, and a general coupon discounts it; a coupon for a
    product discounts that product's amount in `product_amounts` and needs it
    there. 409 `coupon_invalid` with details.reason: not_found (also another
    user's code), already_redeemed, expired, not_started, product_mismatch,
    below_minimum."""
    amount = _money(amount, "amount")
    amounts = {
        pid: _money(value, "product_amounts") for pid, value in (product_amounts or {}).items()
    }
    code = code.strip().upper() if isinstance(code, str) else ""
    with transaction.atomic():
        issue = coupon_issue_lock(code=code) if CODE_PATTERN.match(code) else None
        if issue is None or issue.user_id != user_id:
            raise CouponInvalid(details={"reason": "not_found"})
        coupon = issue.coupon
        now = timezone.now()
        if issue.status == CouponIssueStatus.REDEEMED:
            raise CouponInvalid(details={"reason": "already_redeemed"})
        if issue.status == CouponIssueStatus.EXPIRED or now >= coupon.ends_at:
            raise CouponInvalid(details={"reason": "expired"})
        if now < coupon.starts_at:
            raise CouponInvalid(details={"reason": "not_started"})
        base = amount
        if coupon.product_id is not None:
            if coupon.product_id not in amounts:
                raise CouponInvalid(
                    details={"reason": "product_mismatch", "product_id": str(coupon.product_id)}
                )
            base = amounts[coupon.product_id]
        if coupon.min_order_amount is not None and amount < coupon.min_order_amount:
            raise CouponInvalid(
                details={
                    "reason": "below_minimum",
                    "min_order_amount": f"{coupon.min_order_amount:.2f}",
                }
            )
        issue.status = CouponIssueStatus.REDEEMED
        issue.order_id = order_id
        issue.redeemed_at = now
        issue.updated_at = now
        issue.save(update_fields=["status", "order_id", "redeemed_at", "updated_at"])
    return Redemption(issue=issue, discount=coupon_discount(coupon=coupon, amount=base))


def coupon_release(*, issue_id: int, order_id: UUID) -> CouponIssue:
    """On refund: redeemed -> issued again (expired if the coupon has ended
    meanwhile), under the issue row's lock. Releasing an issue this order does
    not hold (already released, never redeemed) answers it unchanged, so a
    retried refund is harmless; one redeemed by another order is a 409
    `invalid_state`."""
    with transaction.atomic():
        issue = coupon_issue_lock(issue_id=issue_id)
        if issue is None:
            raise NotFound("Coupon issue not found.")
        if issue.status != CouponIssueStatus.REDEEMED:
            return issue
        if issue.order_id != order_id:
            raise InvalidState(
                "The coupon was redeemed by another order.", details={"status": issue.status}
            )
        now = timezone.now()
        ended = now >= issue.coupon.ends_at
        issue.status = CouponIssueStatus.EXPIRED if ended else CouponIssueStatus.ISSUED
        issue.order_id = None
        issue.redeemed_at = None
        issue.updated_at = now
        issue.save(update_fields=["status", "order_id", "redeemed_at", "updated_at"])
    return issue


def coupon_issues_expire_due(*, batch_size: int = 1000, max_batches: int | None = None) -> int:
    """Beat: issues never redeemed whose coupon has ended become `expired`, in
    bounded batches (SKIP LOCKED). Expiry is decided by the coupon's ends_at
    whether or not this has run: redeem refuses an ended coupon by itself."""
    expired = batches = 0
    while max_batches is None or batches < max_batches:
        with transaction.atomic():
            now = timezone.now()
            due = coupon_issues_lock_expirable(now=now, limit=batch_size)
            if not due:
                break
            CouponIssue.objects.filter(pk__in=[issue.pk for issue in due]).update(
                status=CouponIssueStatus.EXPIRED, updated_at=now
            )
        expired += len(due)
        batches += 1
    return expired
