from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.accounts.demo import demo_users_ensure
from apps.products.models import Product, Warehouse
from apps.stock.services import stock_inbound

DEMO_WAREHOUSES = (
    ("SEL-1", "Seoul main", 10),
    ("BSN-1", "Busan port", 20),
    ("ICN-1", "Incheon overflow", 30),
)
DEMO_PRODUCTS = (
    # sku, name, price, description, units per warehouse above
    (
        "CHAIR-OAK-01",
        "Oak Dining Chair",
        "89.00",
        "Solid oak chair with a curved back.",
        (40, 10, 0),
    ),
    ("LAMP-DESK-02", "Brass Desk Lamp", "45.50", "Adjustable brass lamp, warm light.", (25, 0, 5)),
    (
        "MUG-CER-03",
        "Ceramic Coffee Mug",
        "12.00",
        "Stoneware mug, dishwasher safe.",
        (300, 200, 100),
    ),
    (
        "TENT-2P-04",
        "Two-Person Tent",
        "149.99",
        "Lightweight waterproof tent for hiking.",
        (3, 0, 0),
    ),
    (
        "KBD-MEC-05",
        "Mechanical Keyboard",
        "119.00",
        "Tactile switches, aluminium frame.",
        (0, 12, 8),
    ),
    ("SCARF-WOOL-06", "Wool Scarf", "29.90", "Soft merino scarf for winter.", (60, 0, 0)),
)


# In stock, the lowest app that knows users, products and stock together: the
# demo's catalog is stocked through inbound movements, so the ledger explains it.
class Command(BaseCommand):
    help = (
        "Load demo data for a first look: a staff user, a warehouse admin and a customer, "
        "warehouses, products and their stock. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even when DEBUG is off (not for production)."
        )

    @transaction.atomic
    def handle(self, *args, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo creates users with known passwords; use --force.")
        self.stdout.write("Demo users (email / password / roles / what they can do):")
        for user, password, can in demo_users_ensure():
            self.stdout.write(f"  {user.email:24} {password:22} {', '.join(user.roles)}")
            self.stdout.write(f"  {'':24} {can}")
        self._catalog()

    def _catalog(self) -> None:
        warehouses = [
            Warehouse.objects.get_or_create(
                code=code, defaults={"name": name, "priority": priority}
            )[0]
            for code, name, priority in DEMO_WAREHOUSES
        ]
        created = 0
        for sku, name, price, description, quantities in DEMO_PRODUCTS:
            product, is_new = Product.objects.get_or_create(
                sku=sku, defaults={"name": name, "price": price, "description": description}
            )
            if not is_new:
                continue
            created += 1
            for warehouse, quantity in zip(warehouses, quantities, strict=True):
                if quantity:
                    stock_inbound(
                        product_id=product.pk,
                        warehouse_code=warehouse.code,
                        quantity=quantity,
                        actor_id=None,
                        reason="demo data",
                    )
        self.stdout.write(
            f"Catalog: {len(warehouses)} warehouses, {Product.objects.count()} products "
            f"({created} new, stocked through inbound movements)"
        )
