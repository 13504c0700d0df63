"""Row locks of the companies app. A settlement chunk's row first, then its
run's (the run's row is otherwise locked only by the UPDATE that counts a
chunk in, at the end of the chunk's transaction). A company's wallet is locked
by the points app (apps/points/locks.py)."""

from datetime import datetime

from .models import ChunkStatus, SettlementChunk, SettlementRun, SettlementRunStatus


def settlement_chunk_lock(*, chunk_id: int) -> SettlementChunk | None:
    """The chunk, its run read with it (not locked: chunks of one run settle in
    parallel)."""
    return (
        SettlementChunk.objects.select_for_update(of=("self",))
        .select_related("run")
        .filter(pk=chunk_id)
        .first()
    )


def settlement_run_lock(*, run_id: int) -> SettlementRun:
    return SettlementRun.objects.select_for_update().get(pk=run_id)


def settlement_chunks_lock_stale(*, sent_before: datetime, finished_since: datetime) -> list[int]:
    """Pending chunks of running runs sent before `sent_before`, in runs where
    no chunk finished since `finished_since`; chunks being settled right now
    (locked) are skipped, never waited on."""
    moving = SettlementChunk.objects.filter(finished_at__gte=finished_since).values("run_id")
    return list(
        SettlementChunk.objects.select_for_update(of=("self",), skip_locked=True)
        .filter(
            status=ChunkStatus.PENDING,
            run__status=SettlementRunStatus.RUNNING,
            dispatched_at__lt=sent_before,
        )
        .exclude(run_id__in=moving)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
