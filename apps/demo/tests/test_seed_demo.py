"""`seed_demo` on PostgreSQL: every part of the demo once, however often it runs,
and the audit clean after it (the hook in apps/conftest.py)."""

import io

import pytest
from django.core.management import call_command

from apps.companies.models import Company, Membership
from apps.coupons.models import Coupon
from apps.points.models import PointWallet

pytestmark = pytest.mark.django_db


def test_seed_demo_twice_gives_one_coupon_drop_one_company_and_points_once(capsys):
    call_command("seed_demo", "--force")
    call_command("seed_demo", "--force")

    out = capsys.readouterr().out
    drop = Coupon.objects.get()
    assert drop.discount_rate == 10 and drop.total_quantity == 1000 and drop.issued_count == 0
    wallet = PointWallet.objects.get(user__email="customer@example.com")
    assert (wallet.free_balance, wallet.paid_balance) == (500, 1000)
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
    from apps.demo.management.commands.seed_demo import demo_product_id
    from apps.products.models import Product

    call_command("seed_demo", "--force")

    tent = Product.objects.get(sku="TENT-2P-04")
    assert tent.pk == demo_product_id("TENT-2P-04")
    assert str(tent.pk) == "5f938b93-a90a-5974-9451-1a596744fba5"  # documentation may name it
    assert tent.pk.version == 5


@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_on_a_fresh_database_the_demo_objects_have_the_ids_the_schema_examples_name():
    from apps.accounts.models import User
    from apps.coupons.models import Coupon
    from apps.products.models import Warehouse
    from apps.stock.models import Stock

    call_command("seed_demo", "--force", stdout=io.StringIO())

    assert User.objects.get(pk=2).email == "warehouse@example.com"
    assert Warehouse.objects.get(pk=1).code == "SEL-1"
    mug = Stock.objects.select_related("product", "warehouse").get(pk=5)
    assert (mug.product.sku, mug.warehouse.code) == ("MUG-CER-03", "SEL-1")
    assert Coupon.objects.get(pk=1).name == "Demo drop: 10% off"
    assert Company.objects.get(pk=1).registration_number == "DEMO-0001"
