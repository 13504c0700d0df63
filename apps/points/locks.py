"""Row locks of the points app. Global order (README): ... coupon, coupon issue,
then the wallet, then payment. Only the fallback of services/protocol.py locks; the
optimistic path holds the wallet's row lock from its winning UPDATE on."""

from .models import PointWallet
from .owner import Owner


def wallet_lock(*, owner: Owner) -> PointWallet | None:
    return (
        PointWallet.objects.order_by("pk")
        .select_for_update(of=("self",))
        .filter(**owner.fields)
        .first()
    )
