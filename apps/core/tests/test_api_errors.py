"""Every 4xx and 5xx answers the envelope {"error": {"code", "message", "details"}}."""

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from apps.core.tests.helpers import assert_envelope, client_for

pytestmark = [pytest.mark.django_db, pytest.mark.urls("apps.core.tests.urls")]


def test_unknown_api_path_returns_404_envelope(api_client):
    # when
    response = api_client.get("/api/v1/no-such-thing/")
    # then
    assert_envelope(response, 404, "not_found")


def test_api_path_without_trailing_slash_returns_404_not_redirect(api_client):
    # when a POST misses the slash (with DEBUG on, Django would raise RuntimeError)
    with override_settings(DEBUG=True):
        response = api_client.post("/api/v1/auth/signup", {"email": "a@b.co"}, format="json")
    # then
    assert_envelope(response, 404, "not_found")


def test_non_api_path_keeps_django_html_404(api_client):
    response = api_client.get("/definitely-not-here/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


def test_wrong_method_returns_405_envelope_with_allow_header(api_client):
    response = api_client.get("/api/v1/auth/token/")
    error = assert_envelope(response, 405, "method_not_allowed")
    assert "POST" in response["Allow"]
    assert "GET" in error["message"]


def test_missing_token_returns_401_not_authenticated(api_client):
    response = api_client.get("/api/test/staff/")
    assert_envelope(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_garbage_token_returns_401_token_not_valid(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not.a.jwt")
    response = api_client.get("/api/test/staff/")
    error = assert_envelope(response, 401, "token_not_valid")
    assert error["details"]["messages"]


def test_customer_on_staff_endpoint_returns_403_permission_denied(user_client):
    response = user_client.get("/api/test/staff/")
    error = assert_envelope(response, 403, "permission_denied")
    assert "staff" in error["message"]


def test_role_permissions_admit_their_role_and_superusers(staff_user, warehouse_admin):
    # given
    from apps.accounts.tests.helpers import UserFactory

    superuser = UserFactory(is_superuser=True)
    # then
    assert client_for(staff_user).get("/api/test/staff/").status_code == 200
    assert client_for(staff_user).get("/api/test/warehouse/").status_code == 403
    assert client_for(warehouse_admin).get("/api/test/warehouse/").status_code == 200
    assert client_for(warehouse_admin).get("/api/test/staff/").status_code == 403
    assert client_for(superuser).get("/api/test/staff/").status_code == 200
    assert client_for(superuser).get("/api/test/warehouse/").status_code == 200


def test_uncaught_exception_returns_500_envelope():
    # given a client that returns the server's answer instead of re-raising
    client = APIClient(raise_request_exception=False)
    # when
    response = client.get("/api/test/boom/")
    # then: no traceback or exception text leaks to the client
    error = assert_envelope(response, 500, "server_error")
    assert "unexpected failure" not in response.content.decode()
    assert error["details"] is None


def test_uncaught_exception_with_debug_on_still_returns_envelope():
    client = APIClient(raise_request_exception=False)
    with override_settings(DEBUG=True):
        response = client.get("/api/test/boom/")
    assert_envelope(response, 500, "server_error")


def test_domain_error_returns_its_status_code_and_details(api_client):
    response = api_client.post("/api/test/conflict/", {}, format="json")
    error = assert_envelope(response, 409, "sold_out")
    assert error["details"] == {"remaining": 0}


def test_django_validation_error_returns_400_invalid_with_fields(api_client):
    response = api_client.post("/api/test/django-validation/", {}, format="json")
    error = assert_envelope(response, 400, "invalid")
    assert error["details"] == {"quantity": ["Must be positive."]}


@pytest.mark.parametrize(
    "body",
    [b"{not json", b'{"email": "a@b.co",}', b"\xff\xfe\x00", b"[1, 2", b"nul\x00l"],
)
def test_malformed_json_body_returns_400_invalid(api_client, body):
    response = api_client.post("/api/v1/auth/signup/", data=body, content_type="application/json")
    error = assert_envelope(response, 400, "invalid")
    assert "Malformed request body" in error["message"]


def test_form_encoded_body_returns_415_envelope(api_client):
    response = api_client.post(
        "/api/v1/auth/signup/",
        data="email=a%40b.co",
        content_type="application/x-www-form-urlencoded",
    )
    assert_envelope(response, 415, "unsupported_media_type")


@pytest.mark.parametrize("cursor", ["garbage", "cD0yMDI0", "bz0tMQ==", "bz0xMDA"])
def test_garbage_cursor_returns_400_invalid(api_client, user, cursor):
    response = api_client.get("/api/test/users/", {"cursor": cursor})
    error = assert_envelope(response, 400, "invalid")
    assert "cursor" in error["details"]


@pytest.mark.parametrize("page_size", ["abc", "0", "-5", "1.5", ""])
def test_bad_page_size_returns_400_invalid(api_client, user, page_size):
    response = api_client.get("/api/test/users/", {"page_size": page_size})
    error = assert_envelope(response, 400, "invalid")
    assert "page_size" in error["details"]


def test_cursor_pagination_pages_through_everything_without_count(api_client):
    # given 25 users
    from apps.accounts.tests.helpers import UserFactory

    created = {u.id for u in UserFactory.create_batch(25)}
    # when walking the pages 10 at a time
    seen, url, pages = [], "/api/test/users/?page_size=10", 0
    while url:
        body = api_client.get(url).json()
        assert set(body) == {"next", "previous", "results"}
        seen += [row["id"] for row in body["results"]]
        url, pages = body["next"], pages + 1
    # then every row appears exactly once
    assert pages == 3
    assert sorted(seen) == sorted(created)


def test_page_size_above_max_is_capped_at_100(api_client):
    from apps.accounts.tests.helpers import UserFactory

    UserFactory.create_batch(105)
    body = api_client.get("/api/test/users/", {"page_size": 1000}).json()
    assert len(body["results"]) == 100
    assert body["next"] is not None
    assert len(api_client.get("/api/test/users/").json()["results"]) == 20


def test_a_body_nested_too_deeply_is_400_not_500(api_client):
    response = api_client.post(
        "/api/v1/auth/signup/", data="[" * 100_000, content_type="application/json"
    )
    assert_envelope(response, 400, "invalid")


def test_a_body_over_the_limit_is_413_in_the_envelope_and_nothing_is_done(user, settings):
    from apps.core.middleware import RequestBodyLimitMiddleware
    from apps.points.models import PointEntry

    limit = RequestBodyLimitMiddleware(lambda request: None).limit
    assert limit == settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = '{"amount": 1, "description": "' + "x" * limit + '"}'

    response = client_for(user).post("/api/v1/points/use/", body, content_type="application/json")

    error = assert_envelope(response, 413, "request_too_large")
    assert error["details"] == {"limit_bytes": limit, "content_length": len(body)}
    assert not PointEntry.objects.exists()


def test_a_body_at_the_limit_is_read_as_usual(user, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64
    from django.test import Client

    body = '{"email": "nobody@example.com", "password": "' + "p" * 10 + '"}'
    assert len(body) <= 64
    response = Client().post("/api/v1/auth/token/", body, content_type="application/json")
    assert_envelope(response, 401, "authentication_failed")


def test_a_content_length_that_is_not_a_number_is_400(api_client):
    response = api_client.generic(
        "POST",
        "/api/v1/auth/token/",
        b"{}",
        content_type="application/json",
        CONTENT_LENGTH="12abc",
    )
    assert_envelope(response, 400, "invalid")
