"""The catalog services called directly (apps/products/services.py): the
sale-window and unique-sku rules, what an update touches, and hiding a product.
The HTTP contract is test_api_catalog's; deleting (which asks stock first) is
apps/stock's."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.errors import NotFound, ValidationFailed
from apps.products.models import Product, Warehouse
from apps.products.selectors import product_get, product_list
from apps.products.services import (
    ProductData,
    product_create,
    product_hide,
    product_update,
    warehouse_create,
    warehouse_update,
)
from apps.products.tests.helpers import ProductFactory, WarehouseFactory

pytestmark = pytest.mark.django_db

SKU_TAKEN = {"sku": ["A product with this sku already exists."]}
CODE_TAKEN = {"code": ["A warehouse with this code already exists."]}
WINDOW_REVERSED = {"sale_ends_at": ["Must be after sale_starts_at."]}


def _data(**overrides) -> ProductData:
    return ProductData(
        **{"sku": "OAK-1", "name": "Oak Chair", "price": Decimal("129.50")} | overrides
    )


# --- create --------------------------------------------------------------------


def test_a_product_is_created_active_with_the_data_given():
    starts = timezone.now()
    product = product_create(
        data=_data(description="Solid oak.", sale_starts_at=starts, sale_ends_at=None)
    )
    stored = Product.objects.get()
    assert stored == product and product.pk.version == 7
    assert (stored.sku, stored.name, stored.price, stored.description) == (
        "OAK-1",
        "Oak Chair",
        Decimal("129.50"),
        "Solid oak.",
    )
    assert (stored.status, stored.sale_starts_at, stored.sale_ends_at) == ("active", starts, None)
    assert stored.deleted_at is None


@pytest.mark.parametrize("ends_after", [timedelta(0), timedelta(seconds=-1)])
def test_a_sale_window_that_does_not_end_after_it_starts_is_invalid(ends_after):
    starts = timezone.now()
    with pytest.raises(ValidationFailed) as raised:
        product_create(data=_data(sale_starts_at=starts, sale_ends_at=starts + ends_after))
    assert (raised.value.code, raised.value.details) == ("invalid", WINDOW_REVERSED)
    assert not Product.objects.exists()


def test_a_taken_sku_is_invalid_and_the_callers_transaction_goes_on():
    ProductFactory(sku="OAK-1")
    with transaction.atomic():
        with pytest.raises(ValidationFailed) as raised:
            product_create(data=_data())
        # the clash was confined to a savepoint: the transaction can still write
        ProductFactory(sku="OAK-2")
    assert raised.value.details == SKU_TAKEN
    assert sorted(Product.objects.values_list("sku", flat=True)) == ["OAK-1", "OAK-2"]


def test_a_deleted_products_sku_stays_taken():
    """A hidden product keeps its row (the ledger points at it), and so its sku."""
    hidden = ProductFactory(sku="OAK-1")
    product_hide(product_id=hidden.pk, now=timezone.now())
    with pytest.raises(ValidationFailed) as raised:
        product_create(data=_data())
    assert raised.value.details == SKU_TAKEN


def test_a_failure_other_than_the_sku_is_not_reported_as_the_sku():
    with pytest.raises(IntegrityError, match="product_price_non_negative"):
        product_create(data=_data(price=Decimal("-1.00")))


def test_a_failure_other_than_the_sku_is_not_reported_as_the_sku_whatever_the_text():
    with pytest.raises(IntegrityError):
        product_create(data=_data(price=Decimal("-1.00"), description="One sku, no stock."))


def test_product_services_take_keyword_arguments_only():
    with pytest.raises(TypeError):
        product_create(_data())
    with pytest.raises(TypeError):
        product_update(ProductFactory(), {"name": "x"})
    with pytest.raises(TypeError):
        product_hide(ProductFactory().pk, timezone.now())
    assert Product.objects.filter(name="x").count() == 0


# --- update --------------------------------------------------------------------


def test_an_update_writes_the_given_fields_and_updated_at_only():
    # given a product, and a change to its row made elsewhere since it was read
    product = ProductFactory(name="Old", price=Decimal("10.00"))
    Product.objects.filter(pk=product.pk).update(description="Changed elsewhere.")
    before = product.updated_at
    # when its name and price are updated
    updated = product_update(product=product, changes={"name": "New", "price": Decimal("12.00")})
    # then those and updated_at are written; the rest of the row is left as it is
    stored = Product.objects.get()
    assert updated is product
    assert (stored.name, stored.price, stored.description) == (
        "New",
        Decimal("12.00"),
        "Changed elsewhere.",
    )
    assert stored.updated_at == product.updated_at > before


def test_an_update_checks_the_window_against_the_dates_it_keeps():
    starts = timezone.now() + timedelta(days=1)
    product = ProductFactory(sale_starts_at=starts)
    with pytest.raises(ValidationFailed) as raised:
        product_update(product=product, changes={"sale_ends_at": starts - timedelta(hours=1)})
    assert raised.value.details == WINDOW_REVERSED
    assert Product.objects.get().sale_ends_at is None


def test_an_update_may_clear_a_date_or_move_both():
    starts = timezone.now()
    product = ProductFactory(sale_starts_at=starts, sale_ends_at=starts + timedelta(days=1))
    product_update(
        product=product,
        changes={"sale_starts_at": starts + timedelta(days=5), "sale_ends_at": None},
    )
    stored = Product.objects.get()
    assert (stored.sale_starts_at, stored.sale_ends_at) == (starts + timedelta(days=5), None)


def test_an_update_to_another_products_sku_is_invalid_and_writes_nothing():
    ProductFactory(sku="TAKEN")
    product = ProductFactory(sku="MINE", name="Mine")
    with pytest.raises(ValidationFailed) as raised:
        product_update(product=product, changes={"sku": "TAKEN", "name": "Renamed"})
    assert raised.value.details == SKU_TAKEN
    assert Product.objects.filter(pk=product.pk).values_list("sku", "name").get() == (
        "MINE",
        "Mine",
    )


def test_an_update_to_its_own_sku_is_taken():
    product = ProductFactory(sku="MINE")
    product_update(product=product, changes={"sku": "MINE", "name": "Same sku"})
    assert Product.objects.get().name == "Same sku"


# --- hide ------------------------------------------------------------------------


def test_a_hidden_product_is_out_of_the_catalog_but_its_row_is_kept():
    product, other = ProductFactory(), ProductFactory()
    now = timezone.now()
    product_hide(product_id=product.pk, now=now)
    stored = Product.objects.get(pk=product.pk)
    assert (stored.deleted_at, stored.updated_at, stored.status) == (now, now, "discontinued")
    assert list(product_list()) == [other]
    with pytest.raises(NotFound):
        product_get(product_id=product.pk)


# --- warehouses ------------------------------------------------------------------


def test_a_warehouse_is_created_with_its_code_trimmed_and_upper_cased():
    warehouse = warehouse_create(code=" sel-1 ", name="Seoul", priority=5, is_active=False)
    stored = Warehouse.objects.get()
    assert stored == warehouse
    assert (stored.code, stored.name, stored.priority, stored.is_active) == (
        "SEL-1",
        "Seoul",
        5,
        False,
    )


def test_a_warehouse_code_is_unique_in_any_case():
    WarehouseFactory(code="SEL-1")
    with pytest.raises(ValidationFailed) as raised:
        warehouse_create(code="sel-1", name="Again", priority=1, is_active=True)
    assert raised.value.details == CODE_TAKEN
    assert Warehouse.objects.count() == 1


def test_a_warehouse_update_normalizes_the_code_and_refuses_a_taken_one():
    WarehouseFactory(code="BSN-1")
    warehouse = WarehouseFactory(code="SEL-1", priority=10)
    warehouse_update(warehouse=warehouse, changes={"code": " sel-2 ", "priority": 3})
    assert Warehouse.objects.filter(pk=warehouse.pk).values_list("code", "priority").get() == (
        "SEL-2",
        3,
    )
    with pytest.raises(ValidationFailed) as raised:
        warehouse_update(warehouse=warehouse, changes={"code": "bsn-1"})
    assert raised.value.details == CODE_TAKEN
    assert Warehouse.objects.get(pk=warehouse.pk).code == "SEL-2"
