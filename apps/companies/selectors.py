"""Reads of the companies app. Who sees what: staff see every company; a member
sees the companies it belongs to; anyone else gets 404, as for a company that
does not exist."""

from django.db.models import Count, Q, QuerySet

from apps.core.errors import NotFound
from apps.core.roles import Role
from apps.points.models import PointEntry
from apps.points.selectors import points_balance_get, points_history

from .models import (
    ChunkStatus,
    Company,
    MemberRole,
    Membership,
    Settlement,
    SettlementRun,
)


def companies_visible(*, user) -> QuerySet[Company]:
    if user.has_role(Role.STAFF):
        return Company.objects.all()
    return Company.objects.filter(memberships__user_id=user.pk)


def company_get(*, company_id: int, user) -> Company:
    """The company, if `user` may see it; else 404."""
    company = companies_visible(user=user).filter(pk=company_id).first()
    if company is None:
        raise NotFound("Company not found.", details={"company_id": company_id})
    return company


def membership_get(*, company_id: int, user) -> Membership:
    """`user`'s membership of the company; 404 (as for a company that does not
    exist) for anyone else."""
    membership = Membership.objects.filter(company_id=company_id, user_id=user.pk).first()
    if membership is None:
        raise NotFound("Company not found.", details={"company_id": company_id})
    return membership


def sees_all_uses(*, company_id: int, user) -> bool:
    """Staff and managers see every member's entries; a member only its own;
    anyone else gets 404."""
    if user.has_role(Role.STAFF):
        company_get(company_id=company_id, user=user)
        return True
    return membership_get(company_id=company_id, user=user).role == MemberRole.MANAGER


def company_wallet_balance(*, company_id: int):
    return points_balance_get(company_id=company_id)


def company_points_history(*, company_id: int, user) -> QuerySet[PointEntry]:
    """The company wallet's ledger as `user` may see it: every entry for staff
    and managers, a member's own (the entries it acted on) for a member."""
    entries = points_history(company_id=company_id)
    if sees_all_uses(company_id=company_id, user=user):
        return entries
    return entries.filter(actor_id=user.pk)


def settlements_visible(*, user) -> QuerySet[Settlement]:
    """Staff see every settlement; a manager its companies'; others none."""
    settlements = Settlement.objects.all()
    if user.has_role(Role.STAFF):
        return settlements
    managed = Membership.objects.filter(user_id=user.pk, role=MemberRole.MANAGER)
    return settlements.filter(company_id__in=managed.values("company_id"))


def settlement_run_get(*, run_id: int) -> SettlementRun:
    run = (
        SettlementRun.objects.annotate(
            failed_chunks=Count("chunks", filter=Q(chunks__status=ChunkStatus.FAILED)),
            retried_chunks=Count("chunks", filter=Q(chunks__attempts__gt=1)),
        )
        .filter(pk=run_id)
        .first()
    )
    if run is None:
        raise NotFound("Settlement run not found.", details={"run_id": run_id})
    return run
