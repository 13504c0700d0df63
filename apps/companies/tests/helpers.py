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


def october_companies(n: int, *, staff, monkeypatch, points: int = 10) -> list:
    """`n` companies granted `points` + i free points each, companies and points
    both from mid-October 2026 (so that November settles them)."""
    from datetime import UTC, datetime

    from django.utils import timezone

    from apps.companies.models import Company

    real_now = timezone.now
    october = datetime(2026, 10, 15, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: october)
    made = []
    for i in range(n):
        made.append(company(f"C{i}"))
        charge(made[-1], points + i, PointKind.FREE, actor=staff)
    Company.objects.filter(pk__in=[c.pk for c in made]).update(created_at=october)
    monkeypatch.setattr(timezone, "now", real_now)
    return made


def settlement_key_held(company, month):
    """Another connection's uncommitted settlement of `company` for `month`: a
    chunk settling that company waits on the unique key, mid-transaction, until
    the returned connection rolls back (the caller closes it)."""
    import psycopg
    from django.db import connection

    db = connection.settings_dict
    holder = psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
    )
    holder.execute(
        "INSERT INTO companies_settlement (company_id, period, opening_free, opening_paid, "
        "charged_paid, granted_free, used_free, used_paid, expired, closing_free, closing_paid, "
        "billable_amount, created_at) VALUES (%s, %s, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, now())",
        (company.pk, month),
    )
    return holder
