"""`seed_demo` on PostgreSQL: every part of the demo once, however often it runs,
and the audit clean after it (the hook in apps/conftest.py)."""

import io

import pytest
from django.core.management import call_command

from apps.companies.models import Company, Membership
from apps.coupons.models import Coupon
from apps.points.models import PointWallet

# Transactional: the demo's paid order calls the payment gateway, never inside
# a transaction.
pytestmark = pytest.mark.django_db(transaction=True)


def test_seed_demo_twice_gives_one_coupon_drop_one_company_and_points_once(capsys):
    call_command("seed_demo", "--force")
    call_command("seed_demo", "--force")

    out = capsys.readouterr().out
    drop = Coupon.objects.get()
    assert drop.discount_rate == 10 and drop.total_quantity == 1000 and drop.issued_count == 0
    wallet = PointWallet.objects.get(user__email="customer@example.com")
    assert (wallet.free_balance, wallet.paid_balance) == (450, 1000)  # 50 used
    company = Company.objects.get()
    assert PointWallet.objects.get(company=company).paid_balance == 5000
    membership = Membership.objects.get()
    assert (membership.user.email, membership.role) == ("customer@example.com", "manager")
    assert out.count("Coupon drop:") == 2 and "1000 of 1000 left" in out


def test_the_locust_coupon_drop_finds_the_demo_drop(client):
    call_command("seed_demo", "--force")

    active = client.get("/api/v1/coupons/", {"active": "true"}).json()["results"]

    assert [coupon["name"] for coupon in active] == ["Demo drop: 10% off"]


def test_demo_products_have_the_same_ids_on_every_database():
    from apps.core.demo import demo_uuid as demo_product_id
    from apps.products.models import Product

    call_command("seed_demo", "--force")

    tent = Product.objects.get(sku="TENT-2P-04")
    assert tent.pk == demo_product_id("TENT-2P-04")
    assert str(tent.pk) == "5f938b93-a90a-5974-9451-1a596744fba5"  # documentation may name it
    assert tent.pk.version == 5


@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_on_a_fresh_database_the_demo_objects_have_the_ids_the_schema_examples_name():
    from apps.accounts.models import User
    from apps.companies.models import SettlementRun
    from apps.core import demo
    from apps.coupons.models import Coupon
    from apps.payments.models import Order
    from apps.points.models import PointEntry
    from apps.products.models import Warehouse
    from apps.stock.models import Reservation, Stock

    call_command("seed_demo", "--force", stdout=io.StringIO())
    out = io.StringIO()
    call_command("seed_demo", "--force", stdout=out)  # a second run makes nothing new

    assert User.objects.get(pk=2).email == "warehouse@example.com"
    customer = User.objects.get(pk=demo.CUSTOMER)
    assert customer.email == "customer@example.com"
    assert Warehouse.objects.get(pk=demo.WAREHOUSE).code == "SEL-1"
    mug = Stock.objects.select_related("product", "warehouse").get(pk=demo.MUG_STOCK)
    assert (str(mug.product_id), mug.product.sku, mug.warehouse.code) == (
        demo.MUG,
        "MUG-CER-03",
        "SEL-1",
    )
    assert mug.reserved == 4  # the walkthrough's four pending holds (the fifth is paid)
    assert Coupon.objects.get(pk=demo.COUPON_DROP).name == "Demo drop: 10% off"
    assert Company.objects.get(pk=demo.COMPANY).registration_number == "DEMO-0001"
    use = PointEntry.objects.get(pk=demo.CUSTOMER_POINTS_USE)
    assert (use.user_id, use.type, use.amount) == (customer.pk, "use", 50)
    run = SettlementRun.objects.get(pk=demo.SETTLEMENT_RUN)
    assert (run.period.isoformat()[:7], run.status) == (demo.SETTLED_PERIOD, "done")
    holds = {str(hold.pk): hold.status for hold in Reservation.objects.filter(user=customer)}
    assert holds == {
        demo.HOLD_TO_CONFIRM: "pending",
        demo.HOLD_TO_CANCEL: "pending",
        demo.HOLD_TO_EXTEND: "pending",
        demo.HOLD_TO_PAY: "pending",
        demo.HOLD_PAID: "confirmed",
    }
    order = Order.objects.get(pk=demo.PAID_ORDER)
    assert (str(order.reservation_id), order.status) == (demo.HOLD_PAID, "paid")
    assert str(order.latest_payment.pk) == demo.PAID_PAYMENT
    assert "4 pending holds" in out.getvalue()
