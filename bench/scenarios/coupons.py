"""A coupon drop: 1,000 coupons claimed by 5,000 distinct users at 64 clients.

Two phases of one drop, as two scenarios run in turn:

- coupons.drop.issue: the drop at full stock; every request a different user
  (each with a JWT of their own, minted in the setup). The level stops at the
  first 409 (`stop_on_status`): its rate is the issue rate while stock lasts.
  Before every load (warm-up and each level) the drop is put back to full.
- coupons.drop.sold_out: the same drop sold out; every answer is a 409
  `sold_out` from the cached flag, with no lock and no query. Goal: at least 5
  times the issue rate.

Post-checks: exactly 1,000 issued (issued_count = issue rows = 1,000) and
`manage.py audit` clean; the second one also reports the ratio of the phases.

Needs the coupons tables in the bench database (migrate it). The setup owns one
coupon named BENCH_COUPON_NAME and 5,000 users bench-drop-NNNN@bench.invalid,
created once and reused; a reset deletes that coupon's issues only. No SQL
ceiling: a pgbench script of the claim would have to mint users and drain a
drop of its own to keep the audit's invariants, and the question here is the
lock against no lock, which the two phases answer between themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from ..context import BENCH_PASSWORD, Context
from ..model import (
    CheckResult,
    RequestShape,
    Scenario,
    ScenarioFailed,
    Variant,
    bearer_from,
    post_json,
)
from .catalog import audit

API = "/api/v1"
DROP = 1_000
USERS = 5_000
LEVELS = (64,)
GOAL_RATIO = 5.0
# The issue phase ends when the stock does; this only bounds it. wrk waits it out
# after the stop, so keep it short: 1,000 issues take a few seconds.
TIME_LIMIT_S = 20.0
BENCH_COUPON_NAME = "bench coupon drop"
ISSUE = "coupons.drop.issue"


def _coupon_id(ctx: Context) -> int:
    def compute() -> int:
        from django.utils import timezone

        from apps.coupons.models import Coupon

        if not ctx.table_exists("coupons_coupon"):
            raise ScenarioFailed(
                "no coupons tables in the bench database: run "
                "`DJANGO_SETTINGS_MODULE=config.settings.bench .venv/bin/python manage.py migrate`"
            )
        coupon = Coupon.objects.filter(name=BENCH_COUPON_NAME).order_by("pk").first()
        if coupon is None:
            now = timezone.now()
            coupon = Coupon.objects.create(
                name=BENCH_COUPON_NAME,
                discount_rate=10,
                total_quantity=DROP,
                starts_at=now - timedelta(minutes=1),
                ends_at=now + timedelta(days=3650),
            )
        return coupon.pk

    return ctx.memo("coupons:coupon_id", compute)


def _tokens(ctx: Context) -> list[str]:
    """5,000 users (created once, with one password hash for all) and an access
    token each, carrying their roles, valid for the whole run."""

    def compute() -> list[str]:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.hashers import make_password

        from apps.accounts.tokens import PlatformAccessToken

        user_model = get_user_model()
        emails = [f"bench-drop-{i:04d}@bench.invalid" for i in range(USERS)]
        password = make_password(BENCH_PASSWORD)
        user_model.objects.bulk_create(
            [user_model(email=email, password=password) for email in emails],
            batch_size=1000,
            ignore_conflicts=True,
        )
        users = list(user_model.objects.filter(email__in=emails).order_by("email"))
        tokens = []
        for user in users:
            token = PlatformAccessToken.for_user(user)
            token.set_exp(lifetime=timedelta(hours=3))
            tokens.append(str(token))
        return tokens

    return ctx.memo("coupons:tokens", compute)


def drop_variants(ctx: Context) -> Sequence[Variant]:
    coupon_id = _coupon_id(ctx)
    tokens = _tokens(ctx)
    ctx.note(
        f"coupon {coupon_id}: {DROP:,} coupons, {len(tokens):,} distinct users in turn, "
        "each request with its own user's JWT"
    )
    return [{"coupon_id": coupon_id, "token": token} for token in tokens]


def _state(ctx: Context) -> tuple[int, int, int]:
    coupon_id = _coupon_id(ctx)
    (issued_count, total, rows) = ctx.query(
        "SELECT issued_count, total_quantity, "
        "(SELECT count(*) FROM coupons_issue WHERE coupon_id = %s) "
        "FROM coupons_coupon WHERE id = %s",
        [coupon_id, coupon_id],
    )[0]
    return issued_count, total, rows


def reset_drop(ctx: Context) -> None:
    """The drop back to full: its issues deleted (this coupon's only), the count
    to 0, the window open, the cached flag gone."""
    from django.db import transaction

    from apps.coupons.cache import sold_out_flag_clear

    coupon_id = _coupon_id(ctx)
    with transaction.atomic():
        ctx.query("SELECT id FROM coupons_coupon WHERE id = %s FOR UPDATE", [coupon_id])
        ctx.query(
            "WITH gone AS (DELETE FROM coupons_issue WHERE coupon_id = %s RETURNING 1) "
            "SELECT count(*) FROM gone",
            [coupon_id],
        )
        ctx.query(
            "UPDATE coupons_coupon SET issued_count = 0, total_quantity = %s, "
            "starts_at = now() - interval '1 minute', ends_at = now() + interval '10 years' "
            "WHERE id = %s RETURNING id",
            [DROP, coupon_id],
        )
    sold_out_flag_clear(coupon_id=coupon_id)


def ensure_sold_out(ctx: Context) -> None:
    """The drop sold out, whatever ran before: claimed through the service by the
    first users until it refuses (the last issue's commit sets the flag)."""
    from django.contrib.auth import get_user_model

    from apps.coupons.errors import AlreadyIssued, SoldOut
    from apps.coupons.services import coupon_issue

    coupon_id = _coupon_id(ctx)
    issued, total, _ = _state(ctx)
    if issued >= total:
        return
    user_ids = (
        get_user_model()
        .objects.filter(email__startswith="bench-drop-")
        .order_by("email")
        .values_list("pk", flat=True)
    )
    for user_id in user_ids:
        try:
            coupon_issue(coupon_id=coupon_id, user_id=user_id)
        except AlreadyIssued:
            continue
        except SoldOut:
            return
    raise ScenarioFailed("not enough bench users to sell the drop out")


def _exact(ctx: Context) -> tuple[bool, str]:
    issued_count, total, rows = _state(ctx)
    ok = issued_count == rows == total == DROP
    return ok, f"issued_count={issued_count} rows={rows} total={total} (want {DROP:,})"


def _with_audit(ctx: Context, ok: bool, detail: str) -> CheckResult:
    audited = audit(ctx)
    return CheckResult(ok=ok and audited.ok, detail=f"{detail}; audit: {audited.detail}")


def _rate(level, status: str) -> float | None:
    if level.http is None or not level.http.duration_s:
        return None
    return level.http.detail["statuses"].get(status, 0) / level.http.duration_s


def check_issue_phase(ctx: Context) -> CheckResult:
    ok, detail = _exact(ctx)
    rates = [
        f"c={lv.concurrency}: {_rate(lv, '201') or 0:,.1f} issues/s" for lv in ctx.levels[ISSUE]
    ]
    return _with_audit(ctx, ok, f"{detail}; {', '.join(rates)}")


def check_sold_out_phase(ctx: Context) -> CheckResult:
    ok, detail = _exact(ctx)
    parts = [detail]
    issue_levels = {lv.concurrency: lv for lv in ctx.levels.get(ISSUE, [])}
    for level in ctx.levels["coupons.drop.sold_out"]:
        refusals = _rate(level, "409") or 0.0
        issues = (
            _rate(issue_levels[level.concurrency], "201")
            if level.concurrency in issue_levels
            else None
        )
        if issues:
            ratio = refusals / issues
            verdict = "goal met" if ratio >= GOAL_RATIO else f"goal of {GOAL_RATIO:g}x NOT met"
            parts.append(
                f"c={level.concurrency}: {refusals:,.1f} sold_out/s = {ratio:.1f}x the "
                f"issue rate ({verdict})"
            )
        else:
            parts.append(f"c={level.concurrency}: {refusals:,.1f} sold_out/s")
    return _with_audit(ctx, ok, "; ".join(parts))


def _claim() -> RequestShape:
    return post_json(
        f"{API}/coupons/{{coupon_id}}/issue/", lambda variant: {}, headers=bearer_from("token")
    )


SCENARIOS: Sequence[Scenario] = (
    Scenario(
        name=ISSUE,
        description=f"A drop of {DROP:,} claimed by {USERS:,} distinct users: issues while "
        "stock lasts (the level stops at the first sold_out).",
        request=_claim(),
        variants=drop_variants,
        levels=LEVELS,
        duration_s=TIME_LIMIT_S,
        expect=(409,),
        stop_on_status=409,
        before_load=reset_drop,
        post_check=check_issue_phase,
    ),
    Scenario(
        name="coupons.drop.sold_out",
        description=f"The same drop sold out: 409 sold_out from the cached flag, no lock "
        f"(goal: {GOAL_RATIO:g}x the issue rate).",
        request=_claim(),
        variants=drop_variants,
        levels=LEVELS,
        expect=(409,),
        before_load=ensure_sold_out,
        post_check=check_sold_out_phase,
    ),
)
