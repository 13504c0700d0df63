import json
import logging

import pytest

from apps.core.logging import JsonFormatter, RequestIdFilter, request_id_var


def _format(record: logging.LogRecord) -> dict:
    RequestIdFilter().filter(record)
    return json.loads(JsonFormatter().format(record))


def test_json_log_line_carries_the_current_request_id_and_extras():
    # given a request in flight
    token = request_id_var.set("req-123")
    try:
        record = logging.makeLogRecord(
            {
                "name": "apps.x",
                "levelno": logging.INFO,
                "levelname": "INFO",
                "msg": "reserved %s",
                "args": (3,),
                "quantity": 3,
            }
        )
        # when
        entry = _format(record)
    finally:
        request_id_var.reset(token)
    # then
    assert entry["request_id"] == "req-123"
    assert entry["message"] == "reserved 3"
    assert entry["quantity"] == 3
    assert entry["level"] == "INFO" and entry["logger"] == "apps.x"
    assert entry["time"].endswith("+00:00")


def test_json_log_line_outside_a_request_has_null_request_id():
    entry = _format(logging.makeLogRecord({"msg": "beat tick"}))
    assert entry["request_id"] is None


def test_json_log_line_includes_the_exception():
    try:
        raise ValueError("broken")
    except ValueError:
        import sys

        record = logging.makeLogRecord({"msg": "failed", "exc_info": sys.exc_info()})
    entry = _format(record)
    assert "ValueError: broken" in entry["exc_info"]


def test_access_log_records_method_path_status_and_request_id(client, caplog):
    # when
    with caplog.at_level(logging.INFO, logger="apps.request"):
        response = client.get("/healthz/", HTTP_X_REQUEST_ID="trace-1")
    # then
    [record] = [r for r in caplog.records if r.name == "apps.request"]
    assert (record.method, record.path, record.status) == ("GET", "/healthz/", 200)
    assert record.request_id == "trace-1" == response["X-Request-ID"]
    assert record.duration_ms >= 0


@pytest.mark.django_db
def test_a_business_refusal_logs_its_code_at_info_not_a_warning(caplog):
    from apps.accounts.tests.helpers import UserFactory
    from apps.core.tests.helpers import client_for

    client = client_for(UserFactory())
    with caplog.at_level(logging.INFO):
        response = client.post(
            "/api/v1/points/use/",
            {"amount": 5, "description": "x"},
            format="json",
            HTTP_X_REQUEST_ID="trace-409",
        )
    assert response.status_code == 409
    [refusal] = [r for r in caplog.records if r.name == "apps.refusals"]
    assert (refusal.levelno, refusal.code, refusal.status) == (
        logging.INFO,
        "insufficient_points",
        409,
    )
    assert refusal.request_id == "trace-409"
    assert not [r for r in caplog.records if r.name == "django.request"]
    [access] = [r for r in caplog.records if r.name == "apps.request"]
    assert access.route == "/api/v1/points/use/" and access.user_id is not None


@pytest.mark.django_db
def test_an_unexpected_4xx_stays_a_warning_and_carries_the_request_id(caplog):
    from apps.accounts.tests.helpers import UserFactory
    from apps.core.tests.helpers import client_for

    client = client_for(UserFactory())
    with caplog.at_level(logging.INFO):
        response = client.post(
            "/api/v1/points/use/", {"amount": "x"}, format="json", HTTP_X_REQUEST_ID="trace-400"
        )
    assert response.status_code == 400
    [warning] = [r for r in caplog.records if r.name == "django.request"]
    assert warning.levelno == logging.WARNING
    assert warning.request_id == "trace-400"
    assert not [r for r in caplog.records if r.name == "apps.refusals"]


@pytest.mark.django_db
def test_the_request_id_is_forgotten_once_the_response_is_closed(client):
    # the test client closes the response (request_finished), as a server does
    response = client.get("/healthz/", HTTP_X_REQUEST_ID="trace-done")
    assert response["X-Request-ID"] == "trace-done"
    assert request_id_var.get() is None


def test_a_record_is_formatted_once_for_every_handler(monkeypatch):
    formatter, calls = JsonFormatter(), []
    real = JsonFormatter._format
    monkeypatch.setattr(
        JsonFormatter, "_format", lambda self, record: calls.append(1) or real(self, record)
    )
    record = logging.makeLogRecord({"msg": "once", "levelname": "INFO", "name": "x"})

    lines = {formatter.format(record) for _ in range(3)}  # console, file, rollover check

    assert len(lines) == 1 and len(calls) == 1
    assert "_json_line" not in json.loads(lines.pop())
