"""The stock ledger for tests, read back in the shape assertions compare."""

from apps.ledger.models import StockMovement

Row = tuple[str, int, int, int, int]


def ledger(**filters) -> list[Row]:
    """The movements matching `filters` (a stock row, a reservation...), oldest
    first, each as (type, on_hand_delta, reserved_delta, on_hand_after,
    reserved_after)."""
    return [
        (m.type, m.on_hand_delta, m.reserved_delta, m.on_hand_after, m.reserved_after)
        for m in StockMovement.objects.filter(**filters).order_by("id")
    ]
