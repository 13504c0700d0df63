"""The admin pages of companies and settlements, the audit of invariant 7
catching a settlement that no longer matches the ledger, and beat's monthly
settlement."""

from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from apps.accounts.tests.helpers import UserFactory
from apps.companies.models import Settlement, SettlementRun
from apps.companies.periods import period_of, previous_period
from apps.companies.services import company_settle
from apps.companies.tasks import settlement_previous_month_task
from apps.companies.tests.helpers import member, october_companies
from apps.core.tests.helpers import admin_session

pytestmark = pytest.mark.django_db

NOVEMBER = period_of(datetime(2026, 11, 1).date())


def _october_company(monkeypatch, staff, points: int = 40):
    (acme,) = october_companies(1, staff=staff, monkeypatch=monkeypatch, points=points)
    return acme


@pytest.mark.parametrize(
    ("roles", "url", "status"),
    [
        ({"is_staff": True}, "/admin/companies/company/", 200),
        ({"is_staff": True}, "/admin/companies/membership/", 200),
        ({"is_staff": True}, "/admin/companies/settlement/", 200),
        ({"is_staff": True}, "/admin/companies/settlementrun/", 200),
        ({"is_staff": True}, "/admin/companies/company/add/", 403),
        ({"is_staff": True}, "/admin/companies/settlement/add/", 403),
        ({"is_warehouse_admin": True}, "/admin/companies/company/", 403),
        ({"is_warehouse_admin": True}, "/admin/companies/settlement/", 403),
    ],
)
def test_company_admin_pages_are_for_staff(monkeypatch, roles, url, status):
    staff, user = UserFactory(is_staff=True), UserFactory()
    acme = _october_company(monkeypatch, staff)
    member(acme, user)
    company_settle(company_id=acme.pk, period=NOVEMBER)
    assert admin_session(**roles).get(url).status_code == status


def test_the_company_page_shows_its_members_and_wallets_show_their_company(monkeypatch):
    staff, user = UserFactory(is_staff=True), UserFactory()
    acme = _october_company(monkeypatch, staff)
    member(acme, user)
    client = admin_session(is_staff=True)

    page = client.get(f"/admin/companies/company/{acme.pk}/change/")
    wallets = client.get(f"/admin/points/pointwallet/?q={acme.pk}")

    assert page.status_code == 200 and user.email in page.content.decode()
    assert wallets.status_code == 200 and acme.name in wallets.content.decode()


@pytest.mark.no_audit  # the test corrupts a settlement on purpose
def test_the_audit_catches_a_settlement_that_no_longer_matches_the_ledger(monkeypatch, capsys):
    staff = UserFactory(is_staff=True)
    acme = _october_company(monkeypatch, staff, points=40)
    settlement = company_settle(company_id=acme.pk, period=NOVEMBER)
    assert (settlement.opening_free, settlement.closing_free) == (40, 40)
    call_command("audit")  # clean

    # opening and closing both moved: the row still adds up (its CHECK), but
    # it no longer says what the ledger says
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE companies_settlement SET opening_free = 45, closing_free = 45 WHERE id = %s",
            [settlement.pk],
        )
    with pytest.raises(SystemExit):
        call_command("audit")
    assert f"company {acme.pk} for 2026-11" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_beat_settles_the_previous_month_once_it_has_closed(settings, monkeypatch):
    staff = UserFactory(is_staff=True)
    acme = _october_company(monkeypatch, staff)
    real_now = timezone.now

    # on December 1st, 00:02 UTC: November has not closed (5 minutes' delay)
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 12, 1, 0, 2, tzinfo=UTC))
    assert previous_period() == NOVEMBER
    assert settlement_previous_month_task() == "2026-11 has not closed yet"
    assert not SettlementRun.objects.exists()

    # an hour later it has: the run settles every company; the next tick is a no-op
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 12, 1, 1, 5, tzinfo=UTC))
    answer = settlement_previous_month_task()
    assert answer.startswith("2026-11: run ")
    assert settlement_previous_month_task() == "2026-11 is settled already"
    monkeypatch.setattr(timezone, "now", real_now)
    assert SettlementRun.objects.get().status == "done"
    assert Settlement.objects.get(company=acme).closing_free == 40
    assert settings.CELERY_BEAT_SCHEDULE["settlement-previous-month"]["task"] == (
        "apps.companies.tasks.settlement_previous_month_task"
    )
