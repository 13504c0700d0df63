"""PointHistoryFilterSet on GET /points/history/: each parameter narrows the
caller's ledger, and a bad one is the 400 envelope naming it, in DRF's words."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.tests.helpers import UserFactory
from apps.points.models import PointKind
from apps.points.services import points_cancel, points_use
from apps.points.tests.helpers import earn

pytestmark = pytest.mark.django_db

HISTORY = "/api/v1/points/history/"


@pytest.fixture
def entries(user):
    """The user's earn, use and cancel of that use (newest first), and someone else's earn."""
    earned = earn(user, 100, PointKind.FREE)
    used = points_use(user_id=user.pk, amount=30, description="order")
    cancelled = points_cancel(entry_id=used.pk, user=user)
    earn(UserFactory(), 5)
    return {"earn": earned.pk, "use": used.pk, "cancel": cancelled.pk}


def _ids(client, query) -> list[int]:
    response = client.get(HISTORY, query)
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_without_parameters_the_whole_history_is_listed(user_client, entries):
    assert _ids(user_client, {}) == [entries["cancel"], entries["use"], entries["earn"]]


@pytest.mark.parametrize("type", ["earn", "use", "cancel"])
def test_type_narrows_to_the_kind_of_entry(user_client, entries, type):
    assert _ids(user_client, {"type": type}) == [entries[type]]


def test_type_expire_narrows_to_none_here(user_client, entries):
    assert _ids(user_client, {"type": "expire"}) == []


def test_created_after_includes_and_created_before_excludes_the_instant(user_client, entries):
    history = user_client.get(HISTORY).json()["results"]
    oldest = history[-1]["created_at"]
    assert entries["earn"] in _ids(user_client, {"created_after": oldest})
    assert entries["earn"] not in _ids(user_client, {"created_before": oldest})
    later = (timezone.now() + timedelta(minutes=1)).isoformat()
    assert _ids(user_client, {"created_after": later}) == []
    assert len(_ids(user_client, {"created_before": later})) == 3


def test_filters_combine(user_client, entries):
    later = (timezone.now() + timedelta(minutes=1)).isoformat()
    assert _ids(user_client, {"type": "use", "created_before": later}) == [entries["use"]]


DATETIME_FORMAT = (
    "Datetime has wrong format. Use one of these formats instead: "
    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
)


@pytest.mark.parametrize(
    ("query", "details"),
    [
        ({"type": "steal"}, {"type": ['"steal" is not a valid choice.']}),
        ({"type": "EARN"}, {"type": ['"EARN" is not a valid choice.']}),
        ({"created_after": "yesterday"}, {"created_after": [DATETIME_FORMAT]}),
        ({"created_before": "%"}, {"created_before": [DATETIME_FORMAT]}),
        (
            {"created_before": "x", "created_after": "x", "type": "x"},
            {
                "type": ['"x" is not a valid choice.'],
                "created_after": [DATETIME_FORMAT],
                "created_before": [DATETIME_FORMAT],
            },
        ),
    ],
)
def test_a_bad_value_is_a_400_naming_the_parameter(user_client, query, details):
    response = user_client.get(HISTORY, query)
    assert response.status_code == 400
    assert response.json() == {
        "error": {"code": "invalid", "message": "Invalid input.", "details": details}
    }
