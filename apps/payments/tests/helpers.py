"""A shop to check out in: a product on two warehouses, a customer with a hold,
points and a coupon, all made through the services (ledgers agree)."""

from dataclasses import dataclass
from decimal import Decimal

from apps.accounts.tests.helpers import UserFactory
from apps.core.tests.helpers import client_for
from apps.coupons.services import coupon_issue
from apps.coupons.tests.helpers import CouponFactory
from apps.points.services import points_earn
from apps.products.tests.helpers import ProductFactory, WarehouseFactory
from apps.reservations.tests.helpers import make_due, reserve
from apps.stock.tests.helpers import stock_of

from ..models import FakeGatewayCharge

__all__ = [
    "Shop",
    "charges",
    "client_for",
    "coupon_for",
    "make_due",
    "points_for",
    "shop_with_hold",
]


@dataclass
class Shop:
    user: object
    product: object
    reservation: object

    @property
    def client(self):
        return client_for(self.user)

    def body(self, **fields) -> dict:
        return {
            "reservation_id": str(self.reservation.pk),
            "payment_method": "card",
            "payment_token": "tok_approve",
            **fields,
        }


def shop_with_hold(*, price: str = "25.00", quantity: int = 4, units: int = 10) -> Shop:
    """A customer holding `quantity` units at `price` (split over two rows when
    more than half the units)."""
    product = ProductFactory(price=Decimal(price))
    stock_of(product, WarehouseFactory(priority=1), units // 2)
    stock_of(product, WarehouseFactory(priority=2), units - units // 2)
    user = UserFactory()
    return Shop(user=user, product=product, reservation=reserve(product, quantity, user=user))


def points_for(user, *, free: int = 0, paid: int = 0) -> None:
    for kind, amount in (("free", free), ("paid", paid)):
        if amount:
            points_earn(user_id=user.pk, amount=amount, kind=kind, description="test")


def coupon_for(user, **coupon_fields):
    """An issued coupon of the user's (1,000.00 off unless told otherwise)."""
    coupon = CouponFactory(**coupon_fields)
    return coupon_issue(coupon_id=coupon.pk, user_id=user.pk)


def charges(**filters) -> int:
    """Charges the fake gateway holds (its own book, not our tables)."""
    return FakeGatewayCharge.objects.filter(**filters).count()
