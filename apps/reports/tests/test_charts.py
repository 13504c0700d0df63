"""The admin's report charts: the series they draw (from the stored reports),
who may see them, and the page in a real browser with the bundled Chart.js
(a screenshot of each in artifacts/charts/, gitignored)."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from apps.accounts.tests.helpers import DEFAULT_PASSWORD, UserFactory
from apps.core.tests.helpers import admin_session
from apps.points.services import points_earn, points_use
from apps.products.tests.helpers import ProductFactory, WarehouseFactory
from apps.reservations.services import reservation_confirm
from apps.reservations.tests.helpers import reserve
from apps.stock.services import stock_inbound

from ..charts import points_chart, product_chart
from ..services import report_build
from .helpers import clock, moment

pytestmark = pytest.mark.django_db(transaction=True)

D = date(2026, 11, 10)
ARTIFACTS = Path(settings.BASE_DIR) / "artifacts" / "charts"


def _series(chart: dict) -> dict[str, list[int]]:
    return {series["label"]: series["values"] for series in chart["series"]}


@pytest.fixture
def history():
    """A product in two warehouses over five days (D - 1 before the chart's
    range), shipped once; a user's points over the same days; all built."""
    product = ProductFactory(sku="CHART-1")
    north, south = WarehouseFactory(priority=1), WarehouseFactory(priority=2)
    customer = UserFactory()

    def inbound(warehouse, quantity, day):
        with clock(moment(day, "09:00")):
            stock_inbound(
                product_id=product.pk,
                warehouse_code=warehouse.code,
                quantity=quantity,
                actor_id=None,
            )

    inbound(north, 20, D - timedelta(days=1))
    inbound(south, 5, D)
    with clock(moment(D + timedelta(days=1), "10:00")):
        held = reserve(product, 8, user=customer)
        reservation_confirm(reservation_id=held.pk, user=customer)
    # D + 2: nothing moves
    inbound(north, 3, D + timedelta(days=3))
    with clock(moment(D, "12:00")):
        points_earn(user_id=customer.pk, amount=40, kind="free")
    with clock(moment(D + timedelta(days=2), "12:00")):
        points_use(user_id=customer.pk, amount=15)
    for kind in ("stock", "points"):
        report_build(kind=kind, first=D - timedelta(days=1), last=D + timedelta(days=3))
    return product


def test_a_products_chart_carries_its_closing_over_quiet_days(history):
    chart = product_chart(product_id=history.pk, first=D, last=D + timedelta(days=3))
    assert chart["labels"] == [(D + timedelta(days=n)).isoformat() for n in range(4)]
    assert _series(chart) == {
        "Closing on hand": [25, 17, 17, 20],  # opened at 20 from the day before the range
        "Inbound": [5, 0, 0, 3],
        "Confirmed (shipped)": [0, 8, 0, 0],
    }


def test_the_points_chart_sums_every_user_per_day(history):
    chart = points_chart(first=D, last=D + timedelta(days=3))
    assert _series(chart) == {
        "Earned": [40, 0, 0, 0],
        "Used": [0, 0, 15, 0],
        "Expired": [0, 0, 0, 0],
        "Net": [40, 0, -15, 0],
    }


def test_who_may_see_the_charts(history):
    product_url = reverse("admin:reports_stock_chart", args=[history.pk])
    points_url = reverse("admin:reports_points_chart")
    warehouse = admin_session(is_warehouse_admin=True)
    staff = admin_session(is_staff=True)
    assert warehouse.get(product_url).status_code == 200
    assert warehouse.get(points_url).status_code == 403
    assert staff.get(points_url).status_code == 200
    assert staff.get(product_url).status_code == 403
    anonymous = warehouse.__class__().get(product_url)
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    unknown = reverse("admin:reports_stock_chart", args=["00000000-0000-7000-8000-000000000000"])
    assert warehouse.get(unknown).status_code == 404
    # a range out of order or past the last closed day is clamped, not an error
    page = warehouse.get(product_url, {"from": "2999-01-01", "to": "nonsense"})
    assert page.status_code == 200


def _log_in(driver, live_server, user) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{live_server.url}/admin/login/")
    driver.find_element(By.ID, "id_username").send_keys(user.email)
    driver.find_element(By.ID, "id_password").send_keys(DEFAULT_PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    # The click returns before the login's answer: wait for it, or the next page
    # may be asked for without the session cookie and redirect to the login.
    WebDriverWait(driver, 15).until(
        lambda d: "/admin/login/" not in d.current_url, "the login never finished"
    )


def _drawn(driver, url: str) -> dict:
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)
    WebDriverWait(driver, 15).until(
        lambda d: d.execute_script("return window.chartReady === true"), "the chart never drew"
    )
    return driver.execute_script(
        "const c = window.reportChart; const canvas = document.getElementById('chart');"
        "return {labels: c.data.labels, data: c.data.datasets.map(d => [d.label, d.data]),"
        " width: canvas.width, height: canvas.height,"
        " painted: canvas.toDataURL().length};"
    )


def test_the_charts_draw_in_a_real_browser(browser, live_server, history):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    user = UserFactory(is_warehouse_admin=True, is_staff=True)
    _log_in(browser, live_server, user)
    first, last = D.isoformat(), (D + timedelta(days=3)).isoformat()
    query = f"?from={first}&to={last}"
    url = reverse("admin:reports_stock_chart", args=[history.pk])
    drawn = _drawn(browser, f"{live_server.url}{url}{query}")
    assert drawn["labels"][0] == first and drawn["labels"][-1] == last
    assert dict(drawn["data"])["Closing on hand"] == [25, 17, 17, 20]
    assert drawn["width"] > 300 and drawn["height"] > 200
    assert drawn["painted"] > 5000  # an empty canvas encodes to a few hundred bytes
    assert browser.save_screenshot(str(ARTIFACTS / "product.png"))
    drawn = _drawn(browser, f"{live_server.url}{reverse('admin:reports_points_chart')}{query}")
    assert dict(drawn["data"])["Net"] == [40, 0, -15, 0]
    assert browser.save_screenshot(str(ARTIFACTS / "points.png"))
    errors = [
        entry
        for entry in browser.get_log("browser")
        if entry["level"] == "SEVERE" and "favicon.ico" not in entry["message"]
    ]
    assert errors == []
    # the library is ours: no request left the live server
    sources = browser.execute_script(
        "return Array.from(document.scripts).map(s => s.src).filter(Boolean)"
    )
    assert sources and all(src.startswith(live_server.url) for src in sources)
