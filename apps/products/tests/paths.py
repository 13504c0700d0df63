"""Both ways of reading a page of the catalog, for the tests of the list."""

import pytest


@pytest.fixture(params=["sql", "portable"])
def product_page_path(request, monkeypatch):
    """PostgreSQL's one statement, and the ORM and serializer that the embedded
    default runs: every list test runs on each, and they must answer the same."""
    from apps.products import listing

    if request.param == "portable":
        monkeypatch.setattr(listing, "_page_sql", listing._page_portable)
    return request.param
