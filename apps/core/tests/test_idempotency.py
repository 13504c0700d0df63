"""The service-level Idempotency-Key (apps/core/idempotency.py), without HTTP:
claims, replays, stored refusals, and the two-transaction form a payment uses."""

import pytest
from django.db import connection, transaction

from apps.accounts.tests.helpers import UserFactory
from apps.core.errors import (
    Conflict,
    IdempotencyKeyInUse,
    IdempotencyKeyMismatch,
    IdempotentReplay,
)
from apps.core.idempotency import (
    Idempotency,
    idempotency_begin,
    idempotency_complete,
    idempotent_call,
    idempotent_response,
)
from apps.core.models import IdempotencyRecord

pytestmark = pytest.mark.django_db(transaction=True)


class Refused(Conflict):
    code = "refused_for_the_test"


def _key(user, fingerprint="f", key="k"):
    return Idempotency(user_id=user.pk, route="POST /t", key=key, fingerprint=fingerprint)


def test_first_call_runs_the_work_and_records_what_it_made():
    # given
    user = UserFactory()
    key = _key(user)
    # when
    made = idempotent_call(key, lambda: user, replayed=pytest.fail)
    # then
    record = IdempotencyRecord.objects.get()
    assert made == user and not key.replayed
    assert record.result_id == str(user.pk) and record.completed_at is not None
    assert record.status_code is None and record.response_body is None  # not rendered yet


def test_the_answer_is_rendered_outside_the_transaction_and_stored():
    # given a first call
    user = UserFactory()
    key = _key(user)
    idempotent_call(key, lambda: user, replayed=pytest.fail)
    seen = {}

    def render():
        seen["in_transaction"] = connection.in_atomic_block
        return {"id": user.pk}

    # when the view answers it
    response = idempotent_response(key, render, status=201)
    # then it rendered with no transaction open, and the answer is kept for replays
    assert seen == {"in_transaction": False}
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    record = IdempotencyRecord.objects.get()
    assert (record.status_code, record.response_body) == (201, {"id": user.pk})


def test_a_replay_answers_the_stored_body_without_running_or_rendering():
    # given an answered first call
    user = UserFactory()
    first = _key(user)
    idempotent_call(first, lambda: user, replayed=pytest.fail)
    idempotent_response(first, lambda: {"answer": 1}, status=201)
    # when the same key and body come again
    again = _key(user)
    made = idempotent_call(
        again, lambda: pytest.fail("must not run"), replayed=lambda pk: ("loaded", pk)
    )
    response = idempotent_response(again, lambda: pytest.fail("must not render"), status=201)
    # then
    assert made == ("loaded", str(user.pk))
    assert response.status_code == 201 and response.data == {"answer": 1}
    assert response["Idempotent-Replayed"] == "true"


def test_a_replay_before_the_answer_was_stored_renders_what_was_made():
    # given a first call whose process died between its commit and storing its answer
    user = UserFactory()
    idempotent_call(_key(user), lambda: user, replayed=pytest.fail)
    # when it is retried
    again = _key(user)
    made = idempotent_call(again, pytest.fail, replayed=lambda pk: {"id": int(pk)})
    response = idempotent_response(again, lambda: made, status=201)
    # then what it made is answered, marked replayed, and now kept
    assert response.data == {"id": user.pk} and response["Idempotent-Replayed"] == "true"
    assert IdempotencyRecord.objects.get().response_body == {"id": user.pk}


def test_a_refusal_is_stored_with_the_work_rolled_back_and_raised_again_on_replay():
    # given work that writes, then refuses
    user = UserFactory()

    def work():
        UserFactory(email="rolled-back@example.com")
        raise Refused(details={"why": "test"})

    # when
    with pytest.raises(Refused):
        idempotent_call(_key(user), work, replayed=pytest.fail)
    with pytest.raises(IdempotentReplay) as replay:
        idempotent_call(_key(user), pytest.fail, replayed=pytest.fail)
    # then nothing of the work was kept, and the replay is the same refusal
    assert not type(user).objects.filter(email="rolled-back@example.com").exists()
    assert (replay.value.status_code, replay.value.code) == (409, "refused_for_the_test")
    assert replay.value.details == {"why": "test"}
    assert replay.value.headers == {"Idempotent-Replayed": "true"}


def test_the_same_key_with_another_body_is_a_mismatch():
    user = UserFactory()
    idempotent_call(_key(user), lambda: user, replayed=pytest.fail)
    with pytest.raises(IdempotencyKeyMismatch):
        idempotent_call(_key(user, fingerprint="other"), pytest.fail, replayed=pytest.fail)


def test_keys_are_scoped_to_the_caller_and_the_route():
    first, second = UserFactory(), UserFactory()
    idempotent_call(_key(first), lambda: first, replayed=pytest.fail)
    assert idempotent_call(_key(second), lambda: second, replayed=pytest.fail) == second
    other_route = Idempotency(user_id=first.pk, route="POST /u", key="k", fingerprint="f")
    assert idempotent_call(other_route, lambda: first, replayed=pytest.fail) == first
    assert IdempotencyRecord.objects.count() == 3


def test_without_a_key_the_work_just_runs_in_a_nestable_transaction():
    seen = {}

    def work():
        seen["atomic"] = connection.in_atomic_block
        return "ran"

    assert idempotent_call(None, work, replayed=pytest.fail, result_id=len) == "ran"
    assert seen == {"atomic": True}
    assert idempotent_call(None, work, replayed=pytest.fail, result_id=len, atomic=False) == "ran"
    assert seen == {"atomic": False}
    assert not IdempotencyRecord.objects.exists()


def test_a_service_that_ends_without_recording_its_result_is_a_bug():
    from apps.core.idempotency import idempotent_transaction

    user = UserFactory()
    with pytest.raises(RuntimeError), idempotent_transaction(_key(user)):
        pass
    assert not IdempotencyRecord.objects.exists()


# --- two transactions around an external call (a payment) --------------------


def test_two_transactions_claim_then_complete_and_a_retry_in_flight_is_refused():
    # given the first transaction of a two-step service
    user = UserFactory()
    first = _key(user)
    with transaction.atomic(durable=True):
        assert idempotency_begin(first, result_id="order-1") is None
    # when a retry arrives while the external call runs, through the one-step path
    with pytest.raises(IdempotencyKeyInUse):
        idempotent_call(_key(user), pytest.fail, replayed=pytest.fail)
    # and the second transaction completes it
    with transaction.atomic(durable=True):
        idempotency_complete(first)
    # then a later retry replays what the first made
    assert idempotent_call(_key(user), pytest.fail, replayed=lambda pk: pk) == "order-1"


def test_a_two_step_service_can_resume_a_request_left_in_flight():
    # given a first transaction committed, and a crash before the second
    user = UserFactory()
    with transaction.atomic(durable=True):
        idempotency_begin(_key(user), result_id="order-2")
    # when the client retries, the service's own first transaction sees it
    retry = _key(user)
    with transaction.atomic(durable=True):
        earlier = idempotency_begin(retry, result_id="order-3")
    # then it gets the first request's result to resume, and writes nothing new
    assert earlier == "order-2" and retry.replayed
    assert IdempotencyRecord.objects.get().result_id == "order-2"


def test_a_two_step_refusal_is_stored_for_replay():
    user = UserFactory()
    key = _key(user)
    with transaction.atomic(durable=True):
        idempotency_begin(key, result_id="order-4")
    with transaction.atomic(durable=True):
        idempotency_complete(key, refusal=Refused())
    with pytest.raises(IdempotentReplay) as replay:
        idempotent_call(_key(user), pytest.fail, replayed=pytest.fail)
    assert replay.value.code == "refused_for_the_test"
