"""Row locks of the accounts app. Callers hold them inside a transaction."""

from rest_framework_simplejwt.token_blacklist.models import OutstandingToken


def outstanding_token_lock(*, jti: str) -> OutstandingToken | None:
    """Lock the record of an issued refresh token, so its rotation or revocation is
    decided by exactly one request at a time."""
    return (
        OutstandingToken.objects.order_by("pk")
        .select_for_update(of=("self",))
        .filter(jti=jti)
        .first()
    )
