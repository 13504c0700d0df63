"""The admin: staff and warehouse admins get in; each sees what their role allows;
the ledger is read-only for everyone."""

import pytest
from django.test import Client

from apps.accounts.tests.helpers import DEFAULT_PASSWORD, UserFactory
from apps.core.tests.helpers import admin_session
from apps.ledger.models import StockMovement
from apps.products.tests.helpers import ProductFactory, WarehouseFactory
from apps.reservations.tests.helpers import reserve
from apps.stock.tests.helpers import stock_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def data():
    product, warehouse = ProductFactory(), WarehouseFactory()
    stock = stock_of(product, warehouse, 5)
    held = reserve(product, 1)
    return product, warehouse, stock, held


def test_a_customer_cannot_use_the_admin():
    client = admin_session()
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_admin_login_form_admits_a_warehouse_admin_who_is_not_staff():
    user = UserFactory(is_warehouse_admin=True)
    response = Client().post(
        "/admin/login/", {"username": user.email, "password": DEFAULT_PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"


@pytest.mark.parametrize(
    ("roles", "url", "status"),
    [
        ({"is_staff": True}, "/admin/products/product/", 200),
        ({"is_staff": True}, "/admin/products/warehouse/", 200),
        ({"is_staff": True}, "/admin/stock/stock/", 200),
        ({"is_staff": True}, "/admin/stock/stock/?low_stock=yes", 200),
        ({"is_staff": True}, "/admin/ledger/stockmovement/", 200),
        ({"is_staff": True}, "/admin/stock/reservation/", 200),
        ({"is_warehouse_admin": True}, "/admin/stock/stock/", 200),
        ({"is_warehouse_admin": True}, "/admin/stock/stock/?low_stock=yes", 200),
        ({"is_warehouse_admin": True}, "/admin/ledger/stockmovement/", 200),
        ({"is_warehouse_admin": True}, "/admin/products/product/", 200),
        ({"is_warehouse_admin": True}, "/admin/products/product/add/", 403),
        ({"is_superuser": True, "is_staff": True}, "/admin/accounts/user/", 200),
    ],
)
def test_admin_pages_follow_the_roles(data, roles, url, status):
    assert admin_session(**roles).get(url).status_code == status


def test_the_ledger_cannot_be_changed_or_deleted_in_the_admin(data):
    client = admin_session(is_superuser=True, is_staff=True)
    movement = StockMovement.objects.first()
    change = client.post(
        f"/admin/ledger/stockmovement/{movement.pk}/change/", {"on_hand_delta": 999}
    )
    delete = client.post(f"/admin/ledger/stockmovement/{movement.pk}/delete/", {"post": "yes"})
    assert change.status_code == 403
    assert delete.status_code == 403
    assert StockMovement.objects.get(pk=movement.pk).on_hand_delta == movement.on_hand_delta


def test_stock_counts_are_read_only_in_the_admin_and_levels_editable(data):
    _, _, stock, _ = data
    client = admin_session(is_warehouse_admin=True, is_staff=True)
    response = client.post(
        f"/admin/stock/stock/{stock.pk}/change/",
        {"min_stock_level": 2, "reorder_point": 4, "on_hand": 999},
    )
    assert response.status_code == 302, response.content[:500]
    stock.refresh_from_db()
    assert (stock.on_hand, stock.min_stock_level, stock.reorder_point) == (5, 2, 4)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (
            "/admin/transactions/stockmovement/?type=reserve",
            "/admin/ledger/stockmovement/?type=reserve",
        ),
        ("/admin/reservations/reservation/", "/admin/stock/reservation/"),
    ],
)
def test_admin_bookmarks_from_before_the_move_still_arrive(old, new):
    response = Client().get(old)
    assert (response.status_code, response["Location"]) == (301, new)


def test_staff_read_stock_but_only_warehouse_admins_change_its_levels(data):
    _, _, stock, _ = data
    staff = admin_session(is_staff=True)

    page = staff.get(f"/admin/stock/stock/{stock.pk}/change/")
    post = staff.post(
        f"/admin/stock/stock/{stock.pk}/change/", {"min_stock_level": 2, "reorder_point": 4}
    )
    index = staff.get("/admin/").content.decode()

    assert page.status_code == 200 and "Save" not in page.content.decode()
    assert post.status_code == 403
    assert "Stock" in index and "Stock movements" in index
    stock.refresh_from_db()
    assert (stock.min_stock_level, stock.reorder_point) == (0, 0)


@pytest.mark.parametrize(
    ("roles", "url", "says"),
    [
        ({"is_warehouse_admin": True}, "/admin/points/pointentry/", "shown to the staff role"),
        ({"is_staff": True}, "/admin/ledger/stockmovement/add/", "nobody adds or deletes"),
        ({"is_staff": True}, "/admin/stock/stock/{stock}/change/", "warehouse admin role only"),
    ],
)
def test_a_refused_admin_page_is_styled_and_names_the_missing_role(data, roles, url, says):
    _, _, stock, _ = data
    client = admin_session(**roles)
    if "change" in url:
        response = client.post(url.format(stock=stock.pk), {"min_stock_level": 1})
    else:
        response = client.get(url)

    assert response.status_code == 403
    body = response.content.decode()
    assert "Not open to your role" in body and 'id="site-name"' in body
    assert says in body
    assert "You are signed in as" in body
