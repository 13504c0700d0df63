import json
import logging

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
