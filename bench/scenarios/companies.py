"""Company wallets: members using 1 point of their company's wallet, all on one
company (every request contends for the same wallet row) and spread over
10,000 companies, at 16 and 64 clients, with the write protocol's lost
optimistic attempts per success and row-lock fallbacks counted from the
ledger (as points.use.*; apps/points/services/protocol.py is the same code).

Setup (kept between runs), through the services: a hot company with 64
members, and 10,000 companies with one member each (bench users
`bench-member-<n>@bench.invalid`), their wallets charged paid points when they
run low. The first run creates about 10,000 companies (a few minutes).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from ..context import Context
from ..model import Scenario, Variant
from .points import _bench_users, _mark, _tokens, use_scenario

API = "/api/v1"
COMPANIES = 10_000
HOT_MEMBERS = 64
HOT_TOPUP, HOT_LOW = 1_000_000_000, 100_000_000
SPREAD_TOPUP, SPREAD_LOW = 1_000_000, 100_000


def _companies(ctx: Context, numbers: list[str]) -> list:
    """The bench companies with these registration numbers, created if missing."""
    from apps.companies.models import Company
    from apps.companies.services import company_create

    existing = set(
        Company.objects.filter(registration_number__in=numbers).values_list(
            "registration_number", flat=True
        )
    )
    missing = [number for number in numbers if number not in existing]
    for number in missing:
        company_create(name=f"Bench {number}", registration_number=number)
    if missing:
        ctx.note(f"created {len(missing):,} bench companies with their wallets")
    by_number = {
        c.registration_number: c for c in Company.objects.filter(registration_number__in=numbers)
    }
    return [by_number[number] for number in numbers]


def _members(ctx: Context, company, users: list) -> None:
    from apps.companies.models import Membership

    Membership.objects.bulk_create(
        [Membership(company=company, user=user) for user in users], ignore_conflicts=True
    )


def _top_up(ctx: Context, companies: list, *, low: int, amount: int) -> None:
    from apps.companies.services import company_points_charge

    rows = ctx.query(
        "SELECT company_id FROM points_wallet WHERE company_id = ANY(%s) "
        "AND free_balance + paid_balance < %s",
        [[c.pk for c in companies], low],
    )
    for (company_id,) in rows:
        company_points_charge(
            company_id=company_id,
            amount=amount,
            kind="paid",
            paid_amount=Decimal(amount),
            description="bench top-up",
            actor_id=None,
        )
    if rows:
        ctx.note(f"charged {len(rows):,} company wallets {amount:,} paid points")


def one_company(ctx: Context) -> list[Variant]:
    (company,) = _companies(ctx, ["BENCH-HOT"])
    users = _bench_users(
        ctx, [f"bench-hot-member-{i:02d}@bench.invalid" for i in range(HOT_MEMBERS)]
    )
    _members(ctx, company, users)
    _top_up(ctx, [company], low=HOT_LOW, amount=HOT_TOPUP)
    ctx.note(f"{HOT_MEMBERS} members of one company use 1 point of its wallet each request")
    _mark(ctx, "companies.use.one_company")
    return [{**token, "company_id": company.pk} for token in _tokens(users)]


def spread(ctx: Context) -> list[Variant]:
    companies = _companies(ctx, [f"BENCH-{i:05d}" for i in range(COMPANIES)])
    users = _bench_users(ctx, [f"bench-member-{i:05d}@bench.invalid" for i in range(COMPANIES)])
    for company, user in zip(companies, users, strict=True):
        _members(ctx, company, [user])
    _top_up(ctx, companies, low=SPREAD_LOW, amount=SPREAD_TOPUP)
    ctx.note(f"requests go round-robin over {COMPANIES:,} companies, one member each")
    _mark(ctx, "companies.use.spread")
    return [
        {**token, "company_id": company.pk}
        for token, company in zip(_tokens(users), companies, strict=True)
    ]


def _use(name: str, variants, description: str) -> Scenario:
    return use_scenario(name, variants, description, f"{API}/companies/{{company_id}}/points/use/")


SCENARIOS: Sequence[Scenario] = (
    _use(
        "companies.use.one_company",
        one_company,
        f"Members use 1 point of one company's wallet ({HOT_MEMBERS} members).",
    ),
    _use(
        "companies.use.spread",
        spread,
        f"Members use 1 point, spread over {COMPANIES:,} company wallets.",
    ),
)
