"""Points: uses of 1 point, all on one wallet (every request contends for the same
row) and spread over 10,000 wallets (almost no contention), at 16 and 64 clients.

Besides throughput and latency, each level reports what the write protocol of
apps/points/services/protocol.py did: optimistic attempts lost per successful use, and
the share of uses that fell back to the row lock. Those figures are not
estimated: every ledger entry records its own (`write_retries`,
`write_locked`, written in the same transaction as the use), and after the
warm-up and after each level the harness sums the uses written since the last
look (`after_load`). Each request carries its own user's JWT (per-request
headers) and a fresh Idempotency-Key, as a checkout would.

Setup (kept between runs): bench users `bench-points-<n>@bench.invalid`, their
wallets topped up through `points_earn` (paid points, which never expire) when
they run low. The first run creates 10,001 users and 10,001 earns (about a
minute). Post-check: `manage.py audit` (invariant 4 among the others).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..context import BENCH_PASSWORD, Context
from ..model import Scenario, Variant, bearer_from, post_json
from .catalog import audit

API = "/api/v1"
WALLETS = 10_000
HOT_TOPUP, HOT_LOW = 1_000_000_000, 100_000_000  # one wallet takes every request
SPREAD_TOPUP, SPREAD_LOW = 1_000_000, 100_000
LEVELS = (16, 64)


def _bench_users(ctx: Context, emails: list[str]) -> list:
    """The users with these emails, created if missing (one password hash for all)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    user_model = get_user_model()
    existing = set(user_model.objects.filter(email__in=emails).values_list("email", flat=True))
    missing = [email for email in emails if email not in existing]
    if missing:
        password = make_password(BENCH_PASSWORD)
        user_model.objects.bulk_create(
            [user_model(email=email, password=password) for email in missing], batch_size=2_000
        )
        ctx.note(f"created {len(missing):,} bench users")
    by_email = {user.email: user for user in user_model.objects.filter(email__in=emails)}
    return [by_email[email] for email in emails]


def _top_up(ctx: Context, users: list, *, low: int, amount: int) -> None:
    """Earn `amount` paid points, through the service, for wallets below `low`."""
    from apps.points.services import points_earn

    ids = [user.pk for user in users]
    rows = ctx.query(
        "SELECT u.id FROM accounts_user u LEFT JOIN points_wallet w ON w.user_id = u.id "
        "WHERE u.id = ANY(%s) AND COALESCE(w.free_balance + w.paid_balance, 0) < %s",
        [ids, low],
    )
    for (user_id,) in rows:
        points_earn(user_id=user_id, amount=amount, kind="paid", description="bench top-up")
    if rows:
        ctx.note(f"topped up {len(rows):,} wallets with {amount:,} paid points")


def _tokens(users: list) -> list[Variant]:
    from apps.accounts.tokens import PlatformAccessToken

    return [{"token": str(PlatformAccessToken.for_user(user))} for user in users]


def _mark(ctx: Context, name: str) -> None:
    """Remember the newest ledger entry: counters then cover only what follows."""
    ((newest,),) = ctx.query("SELECT COALESCE(MAX(id), 0) FROM points_entry")
    ctx.memo(f"points:mark:{name}", dict)["id"] = newest


def one_wallet(ctx: Context) -> list[Variant]:
    users = _bench_users(ctx, ["bench-points-hot@bench.invalid"])
    _top_up(ctx, users, low=HOT_LOW, amount=HOT_TOPUP)
    ctx.note("every request uses 1 point of the same wallet")
    _mark(ctx, "points.use.one_wallet")
    return _tokens(users)


def spread(ctx: Context) -> list[Variant]:
    users = _bench_users(ctx, [f"bench-points-{i:05d}@bench.invalid" for i in range(WALLETS)])
    _top_up(ctx, users, low=SPREAD_LOW, amount=SPREAD_TOPUP)
    ctx.note(f"requests go round-robin over {len(users):,} wallets, 1 point each")
    _mark(ctx, "points.use.spread")
    return _tokens(users)


def write_counters(name: str) -> Callable[[Context, int | None], str | None]:
    """After the warm-up: forget it. After a level: what its uses went through."""

    def after_load(ctx: Context, concurrency: int | None) -> str | None:
        mark = ctx.memo(f"points:mark:{name}", dict)
        ((uses, retries, locked, newest),) = ctx.query(
            "SELECT count(*), COALESCE(SUM(write_retries), 0), "
            "count(*) FILTER (WHERE write_locked), COALESCE(MAX(id), %s) "
            "FROM points_entry WHERE id > %s AND type = 'use'",
            [mark["id"], mark["id"]],
        )
        mark["id"] = newest
        if concurrency is None:
            return None
        if not uses:
            return f"c={concurrency}: no use was written"
        return (
            f"c={concurrency}: {uses:,} uses written, {retries / uses:.2f} lost optimistic "
            f"attempts per success, {100 * locked / uses:.1f}% took the row lock"
        )

    return after_load


def use_scenario(
    name: str, variants, description: str, path: str = f"{API}/points/use/"
) -> Scenario:
    """Uses of 1 point at `path`, each with its user's JWT and a fresh key."""
    return Scenario(
        name=name,
        description=description,
        request=post_json(
            path,
            lambda variant: {"amount": 1, "description": "bench"},
            headers=bearer_from("token"),
            unique_header="Idempotency-Key",
        ),
        variants=variants,
        levels=LEVELS,
        post_check=audit,
        after_load=write_counters(name),
    )


SCENARIOS: Sequence[Scenario] = (
    use_scenario(
        "points.use.one_wallet",
        one_wallet,
        "Use 1 point, every client on the same wallet (optimistic updates contend).",
    ),
    use_scenario(
        "points.use.spread",
        spread,
        f"Use 1 point, clients spread over {WALLETS:,} wallets.",
    ),
)
