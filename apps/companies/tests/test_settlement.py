"""Monthly settlement: a scripted month with every entry type and entries at
the month's edges in the business time zone; runs over many companies in
chunks (a chunk failing once, the same period twice, bad periods)."""

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.accounts.tests.helpers import UserFactory
from apps.companies.models import (
    SETTLEMENT_FIGURES,
    ChunkStatus,
    Company,
    Settlement,
    SettlementChunk,
    SettlementRun,
)
from apps.companies.periods import period_of
from apps.companies.services import company_settle, settlement_run_start
from apps.companies.services import settlement as settlement_module
from apps.companies.tests.helpers import (
    charge,
    company,
    member,
    october_companies,
    settlement_key_held,
)
from apps.core.tests.helpers import client_for
from apps.points.models import PointEntry, PointKind
from apps.points.services import points_cancel, points_earn, points_use

pytestmark = pytest.mark.django_db

FREE, PAID = PointKind.FREE, PointKind.PAID
NOVEMBER = period_of(datetime(2026, 11, 1).date())


def at(monkeypatch, *moment: int) -> datetime:
    """Set the clock to a UTC moment."""
    when = datetime(*moment, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: when)
    return when


def _grant(acme, staff, amount, expires_at=None):
    return points_earn(
        company_id=acme.pk,
        amount=amount,
        kind=FREE,
        expires_at=expires_at,
        description="grant",
        actor_id=staff.pk,
    )


def _use(acme, user, amount):
    return points_use(company_id=acme.pk, amount=amount, description="use", actor_id=user.pk)


def test_a_scripted_month_in_berlin_settles_every_entry_type_exactly(settings, monkeypatch):
    # Months of Europe/Berlin: November 2026 runs from 2026-10-31T23:00Z to
    # 2026-11-30T23:00Z.
    settings.REPORTS_TIME_ZONE = "Europe/Berlin"
    november = period_of(datetime(2026, 11, 1).date())
    assert november.starts_at == datetime(2026, 10, 31, 23, tzinfo=UTC)
    staff, alice = UserFactory(is_staff=True), UserFactory()
    at(monkeypatch, 2026, 10, 20, 10)
    acme, idle = company(), company("Idle")
    Company.objects.filter(pk__in=[acme.pk, idle.pk]).update(created_at=timezone.now())
    member(acme, alice)
    # October: 100 free (expiring mid-November) and 50 paid at 2.00 a point
    _grant(acme, staff, 100, expires_at=datetime(2026, 11, 15, tzinfo=UTC))
    charge(acme, 50, PAID, actor=staff, paid_amount=Decimal("100.00"))
    at(monkeypatch, 2026, 10, 31, 22, 59)  # 23:59 in Berlin: still October
    _use(acme, alice, 10)
    # November
    at(monkeypatch, 2026, 10, 31, 23, 0)  # midnight in Berlin: November
    charge(acme, 30, PAID, actor=staff, paid_amount=Decimal("30.00"))
    at(monkeypatch, 2026, 11, 5)
    big = _use(acme, alice, 100)  # 90 free, 10 paid at 2.00
    at(monkeypatch, 2026, 11, 6)
    _grant(acme, staff, 40, expires_at=datetime(2026, 11, 20, tzinfo=UTC))
    at(monkeypatch, 2026, 11, 7)
    points_cancel(entry_id=big.pk, user=staff)  # gives back 90 free and 10 paid
    at(monkeypatch, 2026, 11, 8)
    _use(acme, alice, 150)  # 130 free, then 20 paid at 2.00
    at(monkeypatch, 2026, 11, 9)
    unlucky = _grant(acme, staff, 25)
    at(monkeypatch, 2026, 11, 10)
    points_cancel(entry_id=unlucky.pk, user=staff)
    at(monkeypatch, 2026, 11, 12)
    _grant(acme, staff, 10, expires_at=datetime(2026, 11, 14, tzinfo=UTC))
    at(monkeypatch, 2026, 11, 16)
    charge(acme, 5, PAID, actor=staff, paid_amount=Decimal("5.00"))  # expires the 10 first
    at(monkeypatch, 2026, 11, 30, 23, 0)  # midnight in Berlin: December
    _use(acme, alice, 1)
    assert PointEntry.objects.filter(company_id=acme.pk, type="expire").count() == 1

    settlement = company_settle(company_id=acme.pk, period=november)

    figures = {name: getattr(settlement, name) for name in SETTLEMENT_FIGURES}
    assert figures == {
        "opening_free": 90,
        "opening_paid": 50,
        "charged_paid": 35,
        "granted_free": 50,  # 40 + 10, and 25 granted then cancelled
        "used_free": 130,  # 90 used then given back, then 130
        "used_paid": 20,
        "expired": 10,
        "closing_free": 0,
        "closing_paid": 65,
        "billable_amount": Decimal("40.00"),  # 20 paid points at 2.00; the 10 returned
    }
    # a company with nothing in the month is settled at zero; settling again
    # answers the same row
    idle_settlement = company_settle(company_id=idle.pk, period=november)
    assert (idle_settlement.closing_free, idle_settlement.billable_amount) == (0, Decimal("0"))
    assert company_settle(company_id=acme.pk, period=november).pk == settlement.pk
    assert Settlement.objects.filter(company_id=acme.pk).count() == 1


@pytest.fixture
def retries_run_eagerly():
    """Eager tasks re-run at once on `self.retry` only when their errors do not
    propagate (as in the embedded default): here, a chunk's retries."""
    from config.celery_app import app

    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = True


@pytest.mark.django_db(transaction=True)  # the chunks are sent after the commit
def test_a_run_settles_every_company_once_in_chunks_and_totals_the_ledger(settings, monkeypatch):
    settings.SETTLEMENT_CHUNK_SIZE = 3
    staff = UserFactory(is_staff=True)
    made = october_companies(10, staff=staff, monkeypatch=monkeypatch)

    run = settlement_run_start(period=NOVEMBER, requested_by_id=staff.pk)

    run.refresh_from_db()
    assert (run.status, run.companies_total, run.companies_done, run.chunks_total) == (
        "done",
        10,
        10,
        4,
    )
    assert Settlement.objects.filter(period=NOVEMBER.month).count() == 10
    assert set(Settlement.objects.values_list("company_id", flat=True)) == {c.pk for c in made}
    assert run.totals["opening_free"] == sum(10 + i for i in range(10))
    assert run.totals["closing_free"] == run.totals["opening_free"]
    assert run.totals["billable_amount"] == "0.00"


@pytest.mark.django_db(transaction=True)
def test_the_same_period_again_is_409_already_settled_and_does_nothing(monkeypatch):
    staff = UserFactory(is_staff=True)
    october_companies(2, staff=staff, monkeypatch=monkeypatch)
    client = client_for(staff)

    first = client.post("/api/v1/settlements/runs/", {"period": "2026-11"}, format="json")
    again = client.post("/api/v1/settlements/runs/", {"period": "2026-11"}, format="json")

    assert first.status_code == 202, first.json()
    assert first.json()["status"] == "done" and first.json()["companies_done"] == 2
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_settled"
    assert again.json()["error"]["details"]["run_id"] == first.json()["id"]
    assert SettlementRun.objects.count() == 1 and Settlement.objects.count() == 2
    progress = client.get(f"/api/v1/settlements/runs/{first.json()['id']}/").json()
    assert progress["failed_chunks"] == 0 and progress["totals"]["opening_free"] == 21


@pytest.mark.django_db(transaction=True)
def test_a_chunk_that_fails_once_is_retried_and_the_others_are_kept(
    settings, monkeypatch, retries_run_eagerly
):
    settings.SETTLEMENT_CHUNK_SIZE = 2
    staff = UserFactory(is_staff=True)
    made = october_companies(6, staff=staff, monkeypatch=monkeypatch)
    real_settle = settlement_module._settle
    failures = []

    def settle_failing_once(period, *, first, last, run_id):
        if first == made[2].pk and not failures:
            failures.append(first)
            raise RuntimeError("the database went away")
        return real_settle(period, first=first, last=last, run_id=run_id)

    monkeypatch.setattr(settlement_module, "_settle", settle_failing_once)

    run = settlement_run_start(period=NOVEMBER, requested_by_id=staff.pk)

    run.refresh_from_db()
    assert failures == [made[2].pk]
    assert run.status == "done" and run.companies_done == 6
    chunks = {c.number: c for c in SettlementChunk.objects.filter(run=run)}
    assert chunks[1].attempts == 2 and "went away" in chunks[1].last_error
    assert [chunks[n].attempts for n in (0, 2)] == [1, 1]
    assert Settlement.objects.count() == 6
    body = client_for(staff).get(f"/api/v1/settlements/runs/{run.pk}/").json()
    assert body["retried_chunks"] == 1 and body["failed_chunks"] == 0


@pytest.mark.django_db(transaction=True)
def test_a_chunk_that_keeps_failing_fails_its_run_and_a_new_run_finishes_it(
    settings, monkeypatch, retries_run_eagerly
):
    settings.SETTLEMENT_CHUNK_SIZE = 2
    settings.SETTLEMENT_CHUNK_MAX_ATTEMPTS = 3
    staff = UserFactory(is_staff=True)
    made = october_companies(4, staff=staff, monkeypatch=monkeypatch)
    real_settle = settlement_module._settle

    def broken_for_the_first_two(period, *, first, last, run_id):
        if first == made[0].pk:
            raise RuntimeError("bad data")
        return real_settle(period, first=first, last=last, run_id=run_id)

    monkeypatch.setattr(settlement_module, "_settle", broken_for_the_first_two)
    failed = settlement_run_start(period=NOVEMBER, requested_by_id=staff.pk)
    failed.refresh_from_db()
    assert (failed.status, failed.companies_done, failed.totals) == ("failed", 2, None)
    chunk = SettlementChunk.objects.get(run=failed, number=0)
    assert (chunk.status, chunk.attempts) == (ChunkStatus.FAILED, 3)
    assert (
        client_for(staff).get(f"/api/v1/settlements/runs/{failed.pk}/").json()["failed_chunks"] == 1
    )

    # fixed: a new run settles the rest; the companies settled before are kept
    monkeypatch.setattr(settlement_module, "_settle", real_settle)
    again = settlement_run_start(period=NOVEMBER, requested_by_id=staff.pk)
    again.refresh_from_db()
    assert again.status == "done" and again.companies_done == 4
    assert Settlement.objects.count() == 4
    assert Settlement.objects.filter(run=failed).count() == 2


@pytest.mark.parametrize(
    "period, message",
    [
        ("2026-13", "YYYY-MM"),
        ("26-11", "YYYY-MM"),
        ("2026-11-01", "YYYY-MM"),
        (202611, "YYYY-MM"),
        ("", "YYYY-MM"),
        (None, ""),
        ("2999-01", "not closed"),
        ("9999-12", "YYYY-MM"),
    ],
)
def test_bad_periods_are_400_and_start_nothing(period, message):
    staff = UserFactory(is_staff=True)
    acme = company()
    client = client_for(staff)
    now = timezone.now()
    this_month = f"{now:%Y-%m}"

    for url in ("/api/v1/settlements/runs/", f"/api/v1/companies/{acme.pk}/settle/"):
        response = client.post(url, {"period": period}, format="json")
        assert response.status_code == 400, (url, response.json())
        assert "period" in response.json()["error"]["details"]
        assert message in str(response.json()["error"]["details"]["period"])
        current = client.post(url, {"period": this_month}, format="json")
        assert current.status_code == 400  # the month has not closed yet
    assert not SettlementRun.objects.exists() and not Settlement.objects.exists()


def test_settlements_are_listed_for_staff_and_managers_and_as_csv(monkeypatch):
    staff, manager, plain = UserFactory(is_staff=True), UserFactory(), UserFactory()
    acme, other = october_companies(2, staff=staff, monkeypatch=monkeypatch)
    member(acme, manager, "manager")
    member(acme, plain)
    for each in (acme, other):
        company_settle(company_id=each.pk, period=NOVEMBER)

    def companies(user, query=""):
        response = client_for(user).get(f"/api/v1/settlements/{query}")
        assert response.status_code == 200, response.json()
        return sorted(row["company_id"] for row in response.json()["results"])

    assert companies(staff) == sorted([acme.pk, other.pk])
    assert companies(staff, f"?company_id={other.pk}&period=2026-11") == [other.pk]
    assert companies(staff, "?period=2026-10") == []
    assert companies(manager) == [acme.pk]
    assert companies(plain) == []
    bad = client_for(staff).get("/api/v1/settlements/?period=2026-1")
    assert bad.status_code == 400 and "period" in bad.json()["error"]["details"]
    csv = client_for(staff).get("/api/v1/settlements/?format=csv")
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    lines = b"".join(csv.streaming_content).decode().splitlines()
    assert lines[0].startswith("company_id,period,opening_free")
    assert len(lines) == 3 and lines[1].split(",")[1] == "2026-11"


def test_a_company_created_after_the_month_is_not_settled_for_it():
    staff = UserFactory(is_staff=True)
    acme = company()  # created now, in December 2026 or later

    response = client_for(staff).post(
        f"/api/v1/companies/{acme.pk}/settle/", {"period": "2026-11"}, format="json"
    )

    assert response.status_code == 404
    assert not Settlement.objects.exists()
    assert timezone.now() > NOVEMBER.ends_at + timedelta(days=1)


@pytest.mark.django_db(transaction=True)
def test_chunks_of_one_run_settle_in_parallel_and_exactly_one_ends_the_run(settings, monkeypatch):
    import threading

    from django.db import connection

    settings.SETTLEMENT_CHUNK_SIZE = 1
    staff = UserFactory(is_staff=True)
    first, second = october_companies(2, staff=staff, monkeypatch=monkeypatch)
    monkeypatch.setattr(settlement_module, "_dispatch", lambda chunk_ids: None)
    run = settlement_run_start(period=NOVEMBER, requested_by_id=staff.pk)
    chunks = list(SettlementChunk.objects.filter(run=run).order_by("number"))
    # another transaction holds the first company's settlement key: the first
    # chunk waits inside its transaction
    blocker = settlement_key_held(first, NOVEMBER.month)
    results = {}

    def process(chunk):
        results[chunk.number] = settlement_module.settlement_chunk_process(chunk_id=chunk.pk)
        connection.close()

    waiting = threading.Thread(target=process, args=(chunks[0],))
    waiting.start()
    time.sleep(0.5)
    try:
        # the second chunk is not held up by the first: it settles while the
        # first still waits
        other = threading.Thread(target=process, args=(chunks[1],))
        other.start()
        other.join(10)
        assert not other.is_alive() and results == {1: True}
        assert waiting.is_alive()
    finally:
        blocker.rollback()
        blocker.close()
    waiting.join(10)
    assert results == {0: True, 1: True}
    run.refresh_from_db()
    assert (run.status, run.companies_done) == ("done", 2)
    assert sorted(Settlement.objects.values_list("company_id", flat=True)) == [first.pk, second.pk]
    # a chunk delivered again does nothing
    assert settlement_module.settlement_chunk_process(chunk_id=chunks[0].pk) is False
