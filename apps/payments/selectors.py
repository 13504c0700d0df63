from uuid import UUID

from django.db.models import QuerySet

from apps.core.errors import NotFound
from apps.core.roles import Role

from .models import Order, Payment


def _with_details(queryset: QuerySet[Order]) -> QuerySet[Order]:
    return queryset.prefetch_related("lines__warehouse", "payments")


def order_list(*, user) -> QuerySet[Order]:
    """A customer's own orders; staff see everyone's. Newest first."""
    queryset = Order.objects.all()
    if not user.has_role(Role.STAFF):
        queryset = queryset.filter(user_id=user.pk)
    return _with_details(queryset).order_by("-created_at", "-id")


def order_get(*, order_id: UUID, user) -> Order:
    """404 for another user's order, exactly as for one that does not exist."""
    order = order_list(user=user).filter(pk=order_id).first()
    if order is None:
        raise NotFound("Order not found.")
    return order


def order_get_any(*, order_id: UUID) -> Order:
    return _with_details(Order.objects.filter(pk=order_id)).get()


def payment_list(*, user=None) -> QuerySet[Payment]:
    """Payments newest first: one user's (`user`), or everyone's."""
    queryset = Payment.objects.all()
    if user is not None:
        queryset = queryset.filter(user_id=user.pk)
    return queryset.order_by("-created_at", "-id")
