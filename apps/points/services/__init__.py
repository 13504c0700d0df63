"""Points: earn, use, cancel and expire on a wallet that never overdraws, never
loses an update, and explains every change in its ledger.

- `protocol`: how every write gets onto a wallet. Optimistic updates on the
  wallet's `version` with bounded, jittered retries, then the row lock as the
  fallback; why, and what each step guarantees, is its docstring.
- `operations`: the services themselves, and the lots that make "free before
  paid", "oldest first" and "cancel restores exactly" hold.
"""

from .operations import (
    points_cancel,
    points_earn,
    points_expire_due,
    points_use,
    wallet_open,
)

__all__ = [
    "points_cancel",
    "points_earn",
    "points_expire_due",
    "points_use",
    "wallet_open",
]
