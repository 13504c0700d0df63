"""Reservations: what a shopper does with a hold (docs/architecture.md).

- `reserve`: all-or-nothing holds over an order's lines, allocated across
  warehouses by priority.
- `transitions`: confirm, cancel and extend, with who may and when.
- `expiry`: the sweeper that ends holds past their time.

The statements that take and give back units are the stock app's hold store
(apps/stock/holds/); these services decide, the store writes.
"""

from .expiry import reservation_expire_due
from .reserve import LineRequest, reservation_create
from .transitions import reservation_cancel, reservation_confirm, reservation_extend

__all__ = [
    "LineRequest",
    "reservation_cancel",
    "reservation_confirm",
    "reservation_create",
    "reservation_expire_due",
    "reservation_extend",
]
