"""Company wallets on the one points protocol, under real concurrent
transactions on PostgreSQL: the race of the Spring system we studied (member A
reads, waits, deducts while member B deducts first), many members at once, free
before paid, and who sees what."""

import threading

import pytest

from apps.accounts.tests.helpers import UserFactory
from apps.companies.models import MemberRole
from apps.companies.tests.helpers import charge, company, company_balances, member
from apps.core.testing import run_concurrently
from apps.core.tests.helpers import client_for
from apps.points.models import PointEntry, PointKind
from apps.points.services import protocol

FREE, PAID = PointKind.FREE, PointKind.PAID


def _use(user, company_id: int, amount: int, **extra):
    return client_for(user).post(
        f"/api/v1/companies/{company_id}/points/use/",
        {"amount": amount, "description": "lunch"},
        format="json",
        **extra,
    )


def _a_reads_and_waits_while_b_deducts(monkeypatch, amount_a: int, amount_b: int):
    """Member A reads the wallet and decides, then waits; member B deducts and
    commits meanwhile; then A deducts. Answers (A's response, B's response)."""
    staff = UserFactory(is_staff=True)
    acme = company()
    a, b = UserFactory(), UserFactory()
    member(acme, a)
    member(acme, b)
    charge(acme, 60, FREE, actor=staff)
    charge(acme, 40, PAID, actor=staff)
    a_has_read, b_is_done = threading.Event(), threading.Event()
    real_bump = protocol._bump
    thread_a: list[threading.Thread] = []

    def bump(wallet, plan):
        if thread_a and threading.current_thread() is thread_a[0] and not a_has_read.is_set():
            a_has_read.set()  # A has read the wallet and made its plan: now it waits
            assert b_is_done.wait(30)
        return real_bump(wallet, plan)

    monkeypatch.setattr(protocol, "_bump", bump)
    answers: dict[str, object] = {}

    def run_a():
        answers["a"] = _use(a, acme.pk, amount_a)

    def run_b():
        assert a_has_read.wait(30)
        answers["b"] = _use(b, acme.pk, amount_b)
        b_is_done.set()

    thread_a.append(threading.Thread(target=run_a))
    thread_b = threading.Thread(target=run_b)
    for thread in (thread_a[0], thread_b):
        thread.start()
    for thread in (thread_a[0], thread_b):
        thread.join(60)
        assert not thread.is_alive()
    return acme, a, b, answers["a"], answers["b"]


@pytest.mark.django_db(transaction=True)
def test_the_spring_race_both_members_deduct_and_no_update_is_lost(monkeypatch):
    # given 100 points; A reads them, waits; B deducts 50 meanwhile
    acme, a, b, answer_a, answer_b = _a_reads_and_waits_while_b_deducts(monkeypatch, 30, 50)

    # then both deducted: A's stale plan lost its optimistic round and was made
    # again on the wallet B left, never written over it
    assert answer_b.status_code == 201 and answer_a.status_code == 201, answer_a.json()
    assert company_balances(acme) == (0, 20)
    entry_a = PointEntry.objects.get(pk=answer_a.json()["id"])
    assert entry_a.write_retries == 1 and entry_a.actor_id == a.pk
    assert (entry_a.free_delta, entry_a.paid_delta) == (-10, -20)  # what B left: 10 free
    assert answer_a.json()["balance_after"] == 20
    assert answer_b.json()["actor_id"] == b.pk and answer_b.json()["free_delta"] == -50


@pytest.mark.django_db(transaction=True)
def test_the_spring_race_with_a_real_shortage_refuses_the_late_member(monkeypatch):
    # given 100 points; A reads them (enough for its 60), waits; B deducts 70
    acme, _, b, answer_a, answer_b = _a_reads_and_waits_while_b_deducts(monkeypatch, 60, 70)

    # then B's deduction stands and A is refused for the shortage it now meets
    assert answer_b.status_code == 201 and answer_b.json()["actor_id"] == b.pk
    assert answer_a.status_code == 409
    assert answer_a.json()["error"]["code"] == "insufficient_points"
    assert answer_a.json()["error"]["details"] == {"requested": 60, "available": 30}
    assert company_balances(acme) == (0, 30)
    assert PointEntry.objects.filter(company_id=acme.pk, type="use").count() == 1


@pytest.mark.django_db(transaction=True)
def test_30_members_spending_at_once_exactly_what_the_wallet_holds_is_spent():
    # given 250 points (100 free, 150 paid) and 30 members
    staff = UserFactory(is_staff=True)
    acme = company()
    members = [UserFactory() for _ in range(30)]
    for user in members:
        member(acme, user)
    charge(acme, 100, FREE, actor=staff)
    charge(acme, 150, PAID, actor=staff)

    # when each member spends 10 at the same moment
    results = run_concurrently(lambda i: _use(members[i], acme.pk, 10), threads=30)

    # then exactly 25 succeed, 5 are refused, the wallet is empty, nothing lost
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201] * 25 + [409] * 5
    assert company_balances(acme) == (0, 0)
    uses = PointEntry.objects.filter(company_id=acme.pk, type="use")
    assert uses.count() == 25
    assert sum(e.free_delta for e in uses) == -100 and sum(e.paid_delta for e in uses) == -150
    # each use names the member who made it, and each balance after is different
    winners = {members[i].pk for i, r in enumerate(results) if r.status_code == 201}
    assert set(uses.values_list("actor_id", flat=True)) == winners
    assert sorted(r.json()["balance_after"] for r in results if r.status_code == 201) == list(
        range(0, 250, 10)
    )


@pytest.mark.django_db
def test_free_points_are_spent_before_paid_ones_on_a_company_wallet():
    staff, user = UserFactory(is_staff=True), UserFactory()
    acme = company()
    member(acme, user)
    charge(acme, 100, PAID, actor=staff)
    charge(acme, 50, FREE, actor=staff)

    response = _use(user, acme.pk, 70)

    assert response.status_code == 201
    body = response.json()
    assert (body["free_delta"], body["paid_delta"]) == (-50, -20)
    assert body["company_id"] == acme.pk and body["actor_id"] == user.pk
    assert company_balances(acme) == (0, 80)


@pytest.mark.django_db
def test_managers_see_every_use_members_their_own_and_outsiders_nothing():
    staff = UserFactory(is_staff=True)
    acme, other = company(), company("Other")
    manager, alice, bob, outsider = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    member(acme, manager, MemberRole.MANAGER)
    member(acme, alice)
    member(acme, bob)
    member(other, outsider)
    charge(acme, 100, FREE, actor=staff)
    assert _use(alice, acme.pk, 10).status_code == 201
    assert _use(bob, acme.pk, 20).status_code == 201
    history = f"/api/v1/companies/{acme.pk}/points/history/"

    def uses(user, query=""):
        response = client_for(user).get(history + query)
        assert response.status_code == 200, response.json()
        return sorted(e["amount"] for e in response.json()["results"] if e["type"] == "use")

    assert uses(manager) == [10, 20]
    assert uses(staff) == [10, 20]
    assert uses(manager, f"?user_id={bob.pk}") == [20]
    assert uses(alice) == [10]
    assert uses(bob) == [20]
    # an outsider (a member of another company) gets 404 everywhere, as for no company
    for path in ("", "points/balance/", "points/history/"):
        response = client_for(outsider).get(f"/api/v1/companies/{acme.pk}/{path}")
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"
    assert _use(outsider, acme.pk, 1).status_code == 404
    # staff is not a member: it charges, but does not spend
    assert _use(staff, acme.pk, 1).status_code == 404
    # the list shows a member its own companies, staff all of them
    listed = client_for(alice).get("/api/v1/companies/").json()["results"]
    assert [c["id"] for c in listed] == [acme.pk]
    assert listed[0]["wallet"] == {"free": 70, "paid": 0, "total": 70}
    listed = client_for(staff).get("/api/v1/companies/").json()["results"]
    assert {c["id"] for c in listed} == {acme.pk, other.pk}
    assert client_for(alice).get(f"/api/v1/companies/{acme.pk}/points/balance/").json() == {
        "free": 70,
        "paid": 0,
        "total": 70,
    }
