"""Points for tests, moved through the services so wallet, lots and ledger agree."""

from apps.points.models import PointKind, PointWallet
from apps.points.services import points_earn


def earn(user, amount: int, kind: str = PointKind.FREE, *, expires_at=None, description="test"):
    return points_earn(
        user_id=user.pk, amount=amount, kind=kind, description=description, expires_at=expires_at
    )


def balances(user) -> tuple[int, int]:
    """(free, paid) as stored on the wallet; (0, 0) without one."""
    wallet = PointWallet.objects.filter(user_id=user.pk).first()
    return (wallet.free_balance, wallet.paid_balance) if wallet else (0, 0)
