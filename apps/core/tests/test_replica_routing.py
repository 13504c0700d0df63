"""The replica router's bookkeeping in-process: whatever ends a request, the
next one reads the primary; a transaction never reads the replica. (The
replica itself, from outside: test_replica.py.)"""

import pytest
from django.db import transaction
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from apps.core import replica
from apps.core.replica import ReplicaReads, ReplicaRouter, ReplicaState


class Broken(ReplicaReads, APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    def get(self, request):
        assert ReplicaRouter().db_for_read(None) == replica.REPLICA
        raise RuntimeError("a bug in a replica read")


class Fine(ReplicaReads, APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    def get(self, request):
        return Response({"read_on": ReplicaRouter().db_for_read(None)})


@pytest.fixture
def replica_up(monkeypatch):
    """A replica configured and keeping up, as far as the views can tell."""
    monkeypatch.setattr(replica, "replica_configured", lambda: True)
    monkeypatch.setattr(
        replica, "replica_for", lambda user: ReplicaState(lag=0.0, replayed=1, checked_at=0.0)
    )


def test_an_exception_that_escapes_a_replica_read_leaves_the_next_request_on_the_primary(
    replica_up,
):
    request = APIRequestFactory().get("/")

    with pytest.raises(RuntimeError):
        Broken.as_view()(request)

    assert ReplicaRouter().db_for_read(None) == "default"


def test_a_replica_read_says_where_it_read_and_ends_on_the_primary(replica_up):
    response = Fine.as_view()(APIRequestFactory().get("/"))

    assert response.data == {"read_on": "replica"}
    assert response["X-Read-From"] == "replica"
    assert response["X-Replica-Lag"] == "0.000"
    assert ReplicaRouter().db_for_read(None) == "default"


def test_a_write_method_of_a_replica_view_reads_the_primary(replica_up):
    response = Fine.as_view()(APIRequestFactory().post("/"))

    assert response.status_code == 405
    assert "X-Read-From" not in response


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_reads_go_to_the_primary_even_in_a_replica_read():
    token = replica._reading.set(replica.REPLICA)
    try:
        assert ReplicaRouter().db_for_read(None) == replica.REPLICA
        with transaction.atomic():
            assert ReplicaRouter().db_for_read(None) == "default"
            assert replica.reading_connection().alias == "default"
    finally:
        replica._reading.reset(token)


def test_without_a_replica_every_read_and_write_is_the_primarys():
    router = ReplicaRouter()

    assert not replica.replica_configured()
    assert router.db_for_read(None) == "default"
    assert router.db_for_write(None) == "default"
    assert router.allow_migrate("replica", "stock") is False
