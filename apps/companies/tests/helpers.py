"""Companies for tests, made through the services (so each has its wallet)."""

import itertools
from decimal import Decimal

from apps.companies.models import MemberRole
from apps.companies.services import company_create, company_points_charge, member_add
from apps.points.models import PointKind, PointWallet

_numbers = itertools.count(1)


def company(name: str = "Acme") -> "object":
    return company_create(name=name, registration_number=f"REG-{next(_numbers):06d}")


def member(company, user, role: str = MemberRole.MEMBER):
    return member_add(company_id=company.pk, user_id=user.pk, role=role)


def charge(company, amount: int, kind: str = PointKind.PAID, *, actor, paid_amount=None):
    if kind == PointKind.PAID and paid_amount is None:
        paid_amount = Decimal(amount)
    return company_points_charge(
        company_id=company.pk,
        amount=amount,
        kind=kind,
        paid_amount=paid_amount,
        description="test",
        actor_id=actor.pk,
    )


def company_balances(company) -> tuple[int, int]:
    wallet = PointWallet.objects.get(company_id=company.pk)
    return wallet.free_balance, wallet.paid_balance
