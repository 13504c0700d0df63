"""Writes of the companies app: companies, their members, and the points on a
company's wallet (through the points app's services: one write protocol for
users and companies, apps/points/services/protocol.py)."""

from datetime import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from apps.core.errors import NotFound, ValidationFailed
from apps.core.idempotency import Idempotency
from apps.points.models import PointEntry, PointKind
from apps.points.owner import Owner
from apps.points.services import points_earn, points_use, wallet_open

from ..errors import AlreadyMember
from ..models import Company, MemberRole, Membership
from ..selectors import membership_get


def company_create(*, name: str, registration_number: str) -> Company:
    """The company and its wallet, in one transaction. 400 for a registration
    number already taken."""
    try:
        with transaction.atomic():
            company = Company.objects.create(name=name, registration_number=registration_number)
            wallet_open(owner=Owner(company_id=company.pk))
    except IntegrityError as exc:
        if "registration_number" not in str(exc):
            raise
        raise ValidationFailed(
            details={"registration_number": ["A company with this number already exists."]}
        ) from exc
    return company


def member_add(*, company_id: int, user_id: int, role: str = MemberRole.MEMBER) -> Membership:
    """404 for an unknown company or user; 409 `already_member`."""
    if not Company.objects.filter(pk=company_id).exists():
        raise NotFound("Company not found.", details={"company_id": company_id})
    if not get_user_model().objects.filter(pk=user_id).exists():
        raise NotFound("User not found.", details={"user_id": user_id})
    try:
        with transaction.atomic():
            return Membership.objects.create(company_id=company_id, user_id=user_id, role=role)
    except IntegrityError as exc:
        if "membership_unique" not in str(exc):
            raise
        raise AlreadyMember(details={"company_id": company_id, "user_id": user_id}) from exc


def company_points_charge(
    *,
    company_id: int,
    amount: int,
    kind: str,
    description: str,
    actor_id: int,
    paid_amount: Decimal | None = None,
    expires_at: datetime | None = None,
    idempotency: Idempotency | None = None,
) -> PointEntry:
    """Staff: paid points (with the money received, `paid_amount`) or free
    points granted (which may expire). 404 for an unknown company."""
    if kind == PointKind.PAID and paid_amount is None:
        raise ValidationFailed(details={"paid_amount": ["Required for paid points."]})
    return points_earn(
        company_id=company_id,
        amount=amount,
        kind=kind,
        paid_amount=paid_amount,
        expires_at=expires_at,
        description=description,
        actor_id=actor_id,
        idempotency=idempotency,
    )


def company_points_use(
    *,
    company_id: int,
    user,
    amount: int,
    description: str,
    order_id: str = "",
    idempotency: Idempotency | None = None,
) -> PointEntry:
    """A member spends the company's points, free before paid; the entry names
    the member (`actor_id`). 404 for anyone not a member; 409
    `insufficient_points`."""
    membership_get(company_id=company_id, user=user)
    return points_use(
        company_id=company_id,
        amount=amount,
        description=description,
        order_id=order_id,
        actor_id=user.pk,
        idempotency=idempotency,
    )
