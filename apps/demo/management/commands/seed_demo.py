from datetime import timedelta
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from apps.accounts.demo import demo_users_ensure
from apps.companies.models import Company, Membership, SettlementRun
from apps.companies.periods import period_parse
from apps.companies.services import (
    company_create,
    company_points_charge,
    member_add,
    settlement_run_start,
)
from apps.core import demo
from apps.core.ids import ids_given
from apps.coupons.models import Coupon
from apps.coupons.services import CouponData, coupon_create
from apps.payments.models import Order
from apps.payments.services import Checkout, order_checkout
from apps.points.models import PointWallet
from apps.points.services import points_earn, points_use
from apps.products.models import Product, Warehouse
from apps.reservations.services import LineRequest, reservation_create
from apps.stock.models import Reservation, ReservationStatus
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


DEMO_COUPON = "Demo drop: 10% off"  # claimed by the locustfile's CouponDropUser
DEMO_COMPANY = ("Demo Trading Co.", "DEMO-0001")


# Everything goes in through the services, so the ledgers explain the demo data
# and the audit passes on it.
class Command(BaseCommand):
    help = (
        "Load demo data for a first look: a staff user, a warehouse admin and a customer, "
        "warehouses, products and their stock, an active coupon drop, points for the "
        "customer and a company it belongs to, a settled month, and the customer's holds "
        "and paid order that the API's examples name. Safe to run again, on any database."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even when DEBUG is off (not for production)."
        )

    def handle(self, *args, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo creates users with known passwords; use --force.")
        with transaction.atomic():
            users = self._users_and_catalog()
        # Outside any transaction: a checkout calls the payment gateway, and a
        # settlement run's chunks start after its commit.
        self._walkthrough(users["customer@example.com"])
        self._settled_month(users["staff@example.com"])

    def _users_and_catalog(self) -> dict:
        self.stdout.write("Demo users (email / password / roles / what they can do):")
        users = {}
        for user, password, can in demo_users_ensure():
            users[user.email] = user
            self.stdout.write(f"  {user.email:24} {password:22} {', '.join(user.roles)}")
            self.stdout.write(f"  {'':24} {can}")
        self._catalog()
        self._coupon_drop()
        self._points(users["customer@example.com"], users["staff@example.com"])
        return users

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
                sku=sku,
                defaults={
                    "id": demo.demo_uuid(sku),  # the same on every database
                    "name": name,
                    "price": price,
                    "description": description,
                },
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

    def _coupon_drop(self) -> None:
        """A drop open from now for 30 days (a new one once it has ended)."""
        now = timezone.now()
        live = Coupon.objects.filter(name=DEMO_COUPON, starts_at__lte=now, ends_at__gt=now)
        coupon = live.first() or coupon_create(
            data=CouponData(
                name=DEMO_COUPON,
                total_quantity=1000,
                starts_at=now - timedelta(minutes=1),
                ends_at=now + timedelta(days=30),
                discount_rate=10,
            )
        )
        self.stdout.write(
            f"Coupon drop: {coupon.name!r} (id {coupon.pk}), "
            f"{coupon.total_quantity - coupon.issued_count} of {coupon.total_quantity} left"
        )

    def _points(self, customer, staff) -> None:
        """The customer's own points, and a company it belongs to with points of
        its own (once: a second run finds them)."""
        if not PointWallet.objects.filter(user_id=customer.pk).exists():
            points_earn(user_id=customer.pk, amount=500, kind="free", description="Welcome")
            points_earn(user_id=customer.pk, amount=1000, kind="paid", description="Bought")
            points_use(user_id=customer.pk, amount=50, description="Demo use")
        name, number = DEMO_COMPANY
        company = Company.objects.filter(registration_number=number).first()
        if company is None:
            company = company_create(name=name, registration_number=number)
            # A customer since the start of the settled month, so that closed
            # months can be settled for it (a company is settled only for months
            # it existed in).
            Company.objects.filter(pk=company.pk).update(
                created_at=period_parse(demo.SETTLED_PERIOD).starts_at
            )
            company_points_charge(
                company_id=company.pk,
                amount=5000,
                kind="paid",
                paid_amount=Decimal("5000.00"),
                description="Demo charge",
                actor_id=staff.pk,
            )
        if not Membership.objects.filter(company=company, user=customer).exists():
            member_add(company_id=company.pk, user_id=customer.pk, role="manager")
        self.stdout.write(
            f"Points: 1,450 for {customer.email}; company {company.name!r} (id {company.pk}) "
            f"with its manager {customer.email}"
        )

    def _walkthrough(self, customer) -> None:
        """The objects the examples of one-time steps name (apps/core/demo.py):
        a hold to confirm, one to cancel, one to extend, one to pay, and a paid
        order to refund. Made once per database, held as long as a hold may last
        (RESERVATION_MAX_TTL_SECONDS, a day by default)."""
        mug = [LineRequest(product_id=demo.demo_uuid("MUG-CER-03"), quantity=1)]
        for step in ("confirm", "cancel", "extend", "pay", "paid"):
            hold_id = demo.demo_uuid(f"hold:{step}")
            if not Reservation.objects.filter(pk=hold_id).exists():
                with ids_given(hold_id):
                    hold = reservation_create(
                        user_id=customer.pk,
                        order_id=f"demo-{step}",
                        lines=mug,
                        ttl_seconds=settings.RESERVATION_MAX_TTL_SECONDS,
                    )
                self._check_id(hold, hold_id)
        if not Order.objects.filter(pk=demo.PAID_ORDER).exists():
            with ids_given(UUID(demo.PAID_ORDER), UUID(demo.PAID_PAYMENT)):
                order = order_checkout(
                    user=customer,
                    checkout=Checkout(
                        reservation_id=UUID(demo.HOLD_PAID),
                        method="card",
                        payment_token="tok_approve",
                    ),
                ).order
            self._check_id(order, demo.PAID_ORDER)
            self._check_id(order.latest_payment, demo.PAID_PAYMENT)
        pending = Reservation.objects.filter(
            user=customer, status=ReservationStatus.PENDING, expires_at__gt=timezone.now()
        ).count()
        self.stdout.write(
            f"Walkthrough for {customer.email}: {pending} pending holds of the demo mug "
            f"and a paid order (id {demo.PAID_ORDER}) that the API's examples name"
        )
        if pending < 4:
            self.stdout.write(
                "  Some were used or have expired (a hold lasts a day at most): examples "
                "that name them answer 409 now. An empty database gets them all again."
            )

    def _settled_month(self, staff) -> None:
        """Every company settled for a month long closed, so that the settlement
        pages have a run to show."""
        period = period_parse(demo.SETTLED_PERIOD)
        if not SettlementRun.objects.filter(period=period.month).exists():
            settlement_run_start(period=period, requested_by_id=staff.pk)
        self.stdout.write(f"Settlement: every company settled for {demo.SETTLED_PERIOD}")

    def _check_id(self, made, meant) -> None:
        """The object got the id the examples name (numbered objects are held
        to theirs by apps/demo/tests, on an empty database)."""
        if str(made.pk) != str(meant):
            raise CommandError(
                f"The demo {type(made).__name__} got id {made.pk}, not {meant}: "
                "update apps/core/demo.py and the examples that name it."
            )
