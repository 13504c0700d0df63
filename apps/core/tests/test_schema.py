"""The OpenAPI schema renders with no warnings and the committed copy is current."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

SCHEMA_FILE = Path(settings.BASE_DIR) / "openapi.yaml"


def test_schema_renders_without_warnings_and_validates(tmp_path):
    # --fail-on-warn turns any spectacular warning (merged components, unknown
    # types, missing serializers) into a failure; --validate checks OpenAPI 3.
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(out))
    assert "/api/v1/auth/token/" in out.read_text()


def test_committed_schema_matches_the_code(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(out))
    assert SCHEMA_FILE.read_text() == out.read_text(), (
        "openapi.yaml is out of date: run `make schema` and commit it."
    )


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/", "/api/schema/"])
def test_docs_pages_are_served(client, path):
    response = client.get(path)
    assert response.status_code == 200


def test_swagger_ui_uses_bundled_assets_not_a_cdn(client):
    html = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn.jsdelivr" not in html
