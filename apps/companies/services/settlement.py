"""Monthly settlement of company wallets (docs/architecture.md, "Companies and
settlement").

One statement settles a range of companies for a month: INSERT ... SELECT over
the points ledger, grouped by company, ON CONFLICT (company, period) DO
NOTHING, so a company is settled once whatever runs twice. A run splits the
companies into chunks by id; each chunk is one Celery task and one transaction
that writes its settlements, marks itself done and counts its companies into
the run, so "done" and "written" can never disagree. The chunk's row lock
serializes a chunk delivered twice (a worker killed after its commit but
before its ack): the second delivery finds it done and does nothing. The last
chunk to commit finishes the run in its own transaction (the run's row lock
orders the chunks' commits, so exactly one of them sees the others done): the
run's final step cannot be lost with a worker, as a chord's callback can.
A chunk whose task fails is retried with backoff; after SETTLEMENT_CHUNK_MAX_ATTEMPTS
attempts it is marked failed, the other chunks go on, and the run ends failed
(a new run of the period settles what is left). A chunk dispatched long ago and still
pending (its message lost with a worker or a broker) is sent again by the
beat's `settlement_runs_resume`.
"""

import logging
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum
from django.utils import timezone

from apps.core.errors import Conflict, NotFound
from apps.core.idempotency import idempotent_service

from ..locks import settlement_chunk_lock, settlement_chunks_lock_stale, settlement_run_lock
from ..models import (
    SETTLEMENT_FIGURES,
    ChunkStatus,
    Company,
    Settlement,
    SettlementChunk,
    SettlementRun,
    SettlementRunStatus,
)
from ..periods import Period, period_of

logger = logging.getLogger(__name__)


# Each company with ids in [first, last] created before the month ended, with
# the ledger's figures for the month. A cancel counts as what it cancels (the
# type of the entry it names): a cancelled use is not used, a cancelled charge
# not charged. A paid point used is billed at its charge's paid_amount / amount
# (1.00 a point when no money was recorded), and a cancelled use un-bills what
# it gave back.
SETTLE_SQL = """
WITH month AS (
    -- The cancelled entry's type by its primary key, for the few cancels only
    -- (a join would have the planner hash the whole ledger for them).
    SELECT e.company_id, e.type, e.free_delta, e.paid_delta, e.id, e.cancels_id,
           CASE WHEN e.type = 'cancel'
                THEN (SELECT c.type FROM points_entry c WHERE c.id = e.cancels_id)
                ELSE e.type END AS counts_as
      FROM points_entry e
     WHERE e.company_id BETWEEN %(first)s AND %(last)s
       AND e.created_at >= %(starts_at)s AND e.created_at < %(ends_at)s
), moved AS (
    SELECT company_id,
           COALESCE(SUM(paid_delta) FILTER (WHERE counts_as = 'earn'), 0) AS charged_paid,
           COALESCE(SUM(free_delta) FILTER (WHERE counts_as = 'earn'), 0) AS granted_free,
           COALESCE(-SUM(free_delta) FILTER (WHERE counts_as = 'use'), 0) AS used_free,
           COALESCE(-SUM(paid_delta) FILTER (WHERE counts_as = 'use'), 0) AS used_paid,
           COALESCE(-SUM(free_delta) FILTER (WHERE counts_as = 'expire'), 0) AS expired,
           SUM(free_delta) AS free_change,
           SUM(paid_delta) AS paid_change
      FROM month GROUP BY company_id
), billed AS (
    SELECT m.company_id,
           SUM(CASE WHEN m.type = 'use' THEN 1 ELSE -1 END * a.amount
               * COALESCE(charge.paid_amount / charge.amount, 1)) AS amount
      FROM month m
      JOIN points_allocation a
        ON a.entry_id = CASE WHEN m.type = 'use' THEN m.id ELSE m.cancels_id END
      JOIN points_lot l ON l.id = a.lot_id AND l.kind = 'paid'
      JOIN points_entry charge ON charge.id = l.entry_id
     WHERE m.counts_as = 'use'
     GROUP BY m.company_id
), opening AS (
    SELECT company_id, SUM(free_delta) AS free, SUM(paid_delta) AS paid
      FROM points_entry
     WHERE company_id BETWEEN %(first)s AND %(last)s AND created_at < %(starts_at)s
     GROUP BY company_id
)
INSERT INTO companies_settlement
    (company_id, period, run_id, opening_free, opening_paid, charged_paid, granted_free,
     used_free, used_paid, expired, closing_free, closing_paid, billable_amount, created_at)
SELECT c.id, %(period)s, %(run)s,
       COALESCE(o.free, 0), COALESCE(o.paid, 0),
       COALESCE(m.charged_paid, 0), COALESCE(m.granted_free, 0),
       COALESCE(m.used_free, 0), COALESCE(m.used_paid, 0), COALESCE(m.expired, 0),
       COALESCE(o.free, 0) + COALESCE(m.free_change, 0),
       COALESCE(o.paid, 0) + COALESCE(m.paid_change, 0),
       ROUND(COALESCE(b.amount, 0), 2), %(now)s
  FROM companies_company c
  LEFT JOIN opening o ON o.company_id = c.id
  LEFT JOIN moved m ON m.company_id = c.id
  LEFT JOIN billed b ON b.company_id = c.id
 WHERE c.id BETWEEN %(first)s AND %(last)s AND c.created_at < %(ends_at)s
ON CONFLICT (company_id, period) DO NOTHING
"""


def _settle(period: Period, *, first: int, last: int, run_id: int | None) -> int:
    """Settle the companies with ids in [first, last]; how many rows were new."""
    with connection.cursor() as cursor:
        cursor.execute(
            SETTLE_SQL,
            {
                "first": first,
                "last": last,
                "period": period.month,
                "starts_at": period.starts_at,
                "ends_at": period.ends_at,
                "run": run_id,
                "now": timezone.now(),
            },
        )
        return cursor.rowcount


def _companies_of(period: Period):
    return Company.objects.filter(created_at__lt=period.ends_at)


# --- One company ------------------------------------------------------------------


def company_settle(*, company_id: int, period: Period) -> Settlement:
    """Settle one company for a closed month (or answer its settlement, if the
    month was settled already: a settlement is written once). 404 for an
    unknown company or one created after the month."""
    if not _companies_of(period).filter(pk=company_id).exists():
        raise NotFound("Company not found.", details={"company_id": company_id})
    with transaction.atomic():
        _settle(period, first=company_id, last=company_id, run_id=None)
    return Settlement.objects.get(company_id=company_id, period=period.month)


# --- A run over every company ---------------------------------------------------------


class AlreadySettled(Conflict):
    code = "already_settled"
    default_message = "This period has been settled already; nothing was done."


def _run_made(run_id: str) -> SettlementRun:
    return SettlementRun.objects.get(pk=int(run_id))


@idempotent_service(replayed=_run_made)
def settlement_run_start(*, period: Period, requested_by_id: int | None) -> SettlementRun:
    """Create the run and its chunks (one transaction), then dispatch the chunks
    after the commit. 409 `already_settled` when a run of the period is done;
    a run still queued or running is answered as it is."""
    existing = (
        SettlementRun.objects.filter(period=period.month)
        .exclude(status=SettlementRunStatus.FAILED)
        .first()
    )
    if existing is not None:
        return _existing(existing)
    try:
        with transaction.atomic():
            run = SettlementRun.objects.create(
                period=period.month,
                status=SettlementRunStatus.RUNNING,
                requested_by_id=requested_by_id,
                started_at=timezone.now(),
            )
            chunks = _chunks(run, period)
            run.companies_total = sum(chunk.companies for chunk in chunks)
            run.chunks_total = len(chunks)
            if not chunks:
                run.status, run.finished_at = SettlementRunStatus.DONE, timezone.now()
                run.totals = _totals(period)
            run.save(
                update_fields=[
                    "companies_total",
                    "chunks_total",
                    "status",
                    "finished_at",
                    "totals",
                ]
            )
            # robust: a broker that does not answer fails no request; the
            # resume job sends the chunks once their lease has passed.
            transaction.on_commit(lambda: _dispatch([chunk.pk for chunk in chunks]), robust=True)
    except IntegrityError as exc:
        # A concurrent request created the period's run first.
        if "settlement_run_one_per_period" not in str(exc):
            raise
        return _existing(SettlementRun.objects.exclude(status="failed").get(period=period.month))
    return run


def _existing(run: SettlementRun) -> SettlementRun:
    if run.status == SettlementRunStatus.DONE:
        raise AlreadySettled(details={"run_id": run.pk, "period": f"{run.period:%Y-%m}"})
    return run


def _chunks(run: SettlementRun, period: Period) -> list[SettlementChunk]:
    """The period's companies, by id, SETTLEMENT_CHUNK_SIZE at a time."""
    size = settings.SETTLEMENT_CHUNK_SIZE
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT (n - 1) / %(size)s AS number, MIN(id), MAX(id), COUNT(*)
              FROM (SELECT id, row_number() OVER (ORDER BY id) AS n
                      FROM companies_company WHERE created_at < %(ends_at)s) c
             GROUP BY 1 ORDER BY 1
            """,
            {"size": size, "ends_at": period.ends_at},
        )
        rows = cursor.fetchall()
    now = timezone.now()
    return SettlementChunk.objects.bulk_create(
        SettlementChunk(
            run=run,
            number=number,
            first_company_id=first,
            last_company_id=last,
            companies=count,
            dispatched_at=now,
        )
        for number, first, last, count in rows
    )


def _dispatch(chunk_ids: list[int]) -> None:
    """Send each chunk; one that cannot be sent (the broker is down) is left to
    `settlement_runs_resume`, and the others still go."""
    from ..tasks import settlement_chunk_task

    for chunk_id in chunk_ids:
        try:
            settlement_chunk_task.delay(chunk_id)
        except Exception:
            logger.exception("settlement chunk %s not sent; the resume job will", chunk_id)


def settlement_chunk_process(*, chunk_id: int) -> bool:
    """Settle one chunk: its settlements, its status and its count in the run,
    in one transaction; the run finished by whichever chunk completes it.
    False if there was nothing to do (done already, or its run failed)."""
    with transaction.atomic():
        chunk = settlement_chunk_lock(chunk_id=chunk_id)
        if chunk is None or chunk.status != ChunkStatus.PENDING:
            return False
        run = chunk.run
        if run.status != SettlementRunStatus.RUNNING:
            return False
        period = period_of(run.period)
        _settle(period, first=chunk.first_company_id, last=chunk.last_company_id, run_id=run.pk)
        now = timezone.now()
        chunk.status, chunk.finished_at = ChunkStatus.DONE, now
        chunk.attempts = F("attempts") + 1
        chunk.save(update_fields=["status", "finished_at", "attempts"])
        SettlementRun.objects.filter(pk=run.pk).update(
            companies_done=F("companies_done") + chunk.companies
        )
        _finish_if_last(run, now)
    return True


def _finish_if_last(run: SettlementRun, now) -> None:
    """End the run if no chunk is pending any more: done, or failed if a chunk
    failed for good. Called with the run's row locked by this transaction (its
    UPDATE), which orders the chunks' last steps: exactly one sees none left."""
    chunks = SettlementChunk.objects.filter(run_id=run.pk)
    if chunks.filter(status=ChunkStatus.PENDING).exists():
        return
    if chunks.filter(status=ChunkStatus.FAILED).exists():
        SettlementRun.objects.filter(pk=run.pk).update(
            status=SettlementRunStatus.FAILED, finished_at=now
        )
        logger.error("settlement run %s of %s failed: a chunk failed for good", run.pk, run.period)
        return
    period = period_of(run.period)
    SettlementRun.objects.filter(pk=run.pk).update(
        status=SettlementRunStatus.DONE, finished_at=now, totals=_totals(period)
    )
    logger.info("settlement run %s of %s done", run.pk, period)


def settlement_chunk_failed(*, chunk_id: int, error: str, final: bool) -> None:
    """Record a failed attempt (in its own transaction: the attempt's rolled
    back). `final`: its retries are spent, so the chunk fails; the other chunks
    go on, and the run ends failed (a new run settles what is left)."""
    with transaction.atomic():
        chunk = settlement_chunk_lock(chunk_id=chunk_id)
        if chunk is None or chunk.status != ChunkStatus.PENDING:
            return
        chunk.attempts += 1
        chunk.last_error = error[:2000]
        if not final:
            chunk.save(update_fields=["attempts", "last_error"])
            return
        now = timezone.now()
        chunk.status, chunk.finished_at = ChunkStatus.FAILED, now
        chunk.save(update_fields=["attempts", "last_error", "status", "finished_at"])
        run = settlement_run_lock(run_id=chunk.run_id)
        if run.status == SettlementRunStatus.RUNNING:
            _finish_if_last(run, now)


def settlement_runs_resume(*, older_than: timedelta | None = None) -> int:
    """Send again the pending chunks of running runs dispatched more than
    SETTLEMENT_CHUNK_LEASE_SECONDS ago, when no chunk of the run has finished
    within that time either (their messages went with a worker or a broker); a
    chunk delivered twice is settled once. Returns how many."""
    if older_than is None:
        older_than = timedelta(seconds=settings.SETTLEMENT_CHUNK_LEASE_SECONDS)
    now = timezone.now()
    with transaction.atomic():
        # A run whose chunks still finish is moving: its pending chunks wait in
        # the queue rather than lost, and sending them again would only
        # occupy workers with duplicates.
        stale = settlement_chunks_lock_stale(
            sent_before=now - older_than, finished_since=now - older_than
        )
        SettlementChunk.objects.filter(pk__in=stale).update(dispatched_at=now)
        transaction.on_commit(lambda: _dispatch(stale), robust=True)
    return len(stale)


def _totals(period: Period) -> dict[str, str | int]:
    """The sums of the period's settlements (every company's, a run's or not)."""
    sums = Settlement.objects.filter(period=period.month).aggregate(
        **{name: Sum(name, default=0) for name in SETTLEMENT_FIGURES}
    )
    return {
        name: (f"{value:.2f}" if isinstance(value, Decimal) else int(value))
        for name, value in sums.items()
    }
