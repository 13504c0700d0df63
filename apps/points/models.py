"""The points wallet: balances, the append-only ledger, and the lots behind them.

Every wallet has one owner, a user or a company (companies.Company), held by a
CHECK on each table; its entries and lots name the same owner. One write
protocol serves both (services/protocol.py); `owner.Owner` says whose wallet a
read or a write is about.

- PointWallet: one per user, created lazily; one per company, created with the
  company. `free_balance` and `paid_balance` never go below zero (CHECK);
  `version` grows by one with every change and is what the optimistic writes of
  services/protocol.py compare against.
- PointEntry: the ledger. One row per change (earn, use, cancel, expire) with
  the free and paid deltas and the balances after it. Append-only: no update or
  delete path in code, a read-only admin, and a PostgreSQL trigger refusing
  UPDATE and DELETE (migration 0002). An entry is cancelled at most once
  (`cancels` is unique).
- PointLot: the bookkeeping of what is left of each earn, so that free points
  expire oldest first and an earn already spent cannot be cancelled. `remaining`
  is the one mutable number; it lives here, not on the ledger row.
- PointAllocation: which lots a use or an expiry took points from (append-only,
  like the ledger), so that cancelling a use puts back exactly what it took.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from apps.core.models import TimeStampedModel


def _one_owner(name: str) -> models.CheckConstraint:
    """Exactly one of `user` and `company`."""
    return models.CheckConstraint(
        condition=Q(user__isnull=False, company__isnull=True)
        | Q(user__isnull=True, company__isnull=False),
        name=name,
    )


def _owner_user() -> models.ForeignKey:
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )


def _company() -> models.ForeignKey:
    # By label: points imports nothing of the companies app, which sits above it.
    return models.ForeignKey(
        "companies.Company",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )


class PointEntryType(models.TextChoices):
    EARN = "earn", "Earn"
    USE = "use", "Use"
    CANCEL = "cancel", "Cancel"
    EXPIRE = "expire", "Expire"


class PointKind(models.TextChoices):
    FREE = "free", "Free (rewarded)"
    PAID = "paid", "Paid (bought)"


class PointWallet(TimeStampedModel):
    id = models.BigAutoField(primary_key=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    company = models.OneToOneField(
        "companies.Company", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    free_balance = models.BigIntegerField(default=0)
    paid_balance = models.BigIntegerField(default=0)
    version = models.BigIntegerField(default=0)

    class Meta:
        db_table = "points_wallet"
        constraints = [
            models.CheckConstraint(
                condition=Q(free_balance__gte=0), name="wallet_free_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(paid_balance__gte=0), name="wallet_paid_not_negative"
            ),
            models.CheckConstraint(condition=Q(version__gte=0), name="wallet_version_not_negative"),
            _one_owner("wallet_one_owner"),
        ]

    def __str__(self) -> str:
        owner = f"company {self.company_id}" if self.company_id else f"user {self.user_id}"
        return f"wallet of {owner}: {self.free_balance} free, {self.paid_balance} paid"


class PointEntry(models.Model):
    """The points ledger (see the module docstring). `amount` is what moved,
    always positive; the signed changes are the deltas. On a company's wallet,
    `actor` is the member (or staff) who made the change."""

    id = models.BigAutoField(primary_key=True)
    user = _owner_user()
    company = _company()
    type = models.CharField(max_length=8, choices=PointEntryType.choices)
    amount = models.BigIntegerField()
    free_delta = models.BigIntegerField()
    paid_delta = models.BigIntegerField()
    free_after = models.BigIntegerField()
    paid_after = models.BigIntegerField()
    description = models.CharField(max_length=255, blank=True, default="")
    order_id = models.CharField(max_length=100, blank=True, default="")
    cancels = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cancelled_by",
        help_text="The entry this one compensates (each entry at most once).",
    )
    # Spent by an order's checkout: these points come back only through that
    # order (a failed payment, a refund), never by a cancel of the entry itself.
    for_order = models.BooleanField(default=False)
    # The money received for a paid earn (what a company is charged); a paid
    # point used is billed at its earn's paid_amount / amount.
    paid_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    # How the write got through (services/protocol.py): optimistic attempts lost to a
    # concurrent change of the wallet, and whether it fell back to the row lock.
    write_retries = models.PositiveSmallIntegerField(default=0)
    write_locked = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "points_entry"
        verbose_name_plural = "point entries"
        indexes = [
            models.Index(fields=["user", "created_at", "id"], name="point_entry_user_idx"),
            models.Index(
                fields=["company", "created_at", "id"],
                name="point_entry_company_idx",
                condition=Q(company__isnull=False),
            ),
            models.Index(fields=["created_at", "id"], name="point_entry_created_idx"),
            models.Index(
                fields=["actor"], name="point_entry_actor_idx", condition=Q(actor__isnull=False)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(type__in=PointEntryType.values), name="point_entry_type_valid"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="point_entry_amount_positive"),
            models.CheckConstraint(
                condition=Q(free_after__gte=0, paid_after__gte=0),
                name="point_entry_after_not_negative",
            ),
            # The deltas say the same as the type and the amount.
            models.CheckConstraint(
                condition=(
                    Q(
                        type=PointEntryType.EARN,
                        free_delta__gte=0,
                        paid_delta__gte=0,
                        amount=F("free_delta") + F("paid_delta"),
                    )
                    | Q(
                        type=PointEntryType.USE,
                        free_delta__lte=0,
                        paid_delta__lte=0,
                        amount=-F("free_delta") - F("paid_delta"),
                    )
                    | Q(type=PointEntryType.EXPIRE, paid_delta=0, amount=-F("free_delta"))
                    | Q(
                        type=PointEntryType.CANCEL,
                        free_delta__gte=0,
                        paid_delta__gte=0,
                        amount=F("free_delta") + F("paid_delta"),
                    )
                    | Q(
                        type=PointEntryType.CANCEL,
                        free_delta__lte=0,
                        paid_delta__lte=0,
                        amount=-F("free_delta") - F("paid_delta"),
                    )
                ),
                name="point_entry_deltas_match_type",
            ),
            models.CheckConstraint(
                condition=Q(type=PointEntryType.CANCEL, cancels__isnull=False)
                | (~Q(type=PointEntryType.CANCEL) & Q(cancels__isnull=True)),
                name="point_entry_cancel_names_its_entry",
            ),
            models.CheckConstraint(
                condition=Q(paid_amount__isnull=True)
                | Q(type=PointEntryType.EARN, paid_delta__gt=0, paid_amount__gte=0),
                name="point_entry_paid_amount_of_paid_earn",
            ),
            _one_owner("point_entry_one_owner"),
        ]

    def __str__(self) -> str:
        owner = f"company {self.company_id}" if self.company_id else f"user {self.user_id}"
        return f"{self.type} {self.amount} for {owner}"

    @property
    def balance_after(self) -> int:
        return self.free_after + self.paid_after

    @property
    def expires_at(self):
        """When the points of a free earn expire (None otherwise). Selectors load
        the lot with the entry; services attach it, so this costs no query."""
        lot = getattr(self, "lot", None)
        return lot.expires_at if lot is not None else None


class PointLot(models.Model):
    """What is left of one earn. Uses take from free lots first (soonest expiry
    first, lots without expiry last, oldest first among equals), then from paid
    lots, oldest first; the sweeper expires free lots past `expires_at`."""

    id = models.BigAutoField(primary_key=True)
    user = _owner_user()
    company = _company()
    entry = models.OneToOneField(PointEntry, on_delete=models.PROTECT, related_name="lot")
    kind = models.CharField(max_length=4, choices=PointKind.choices)
    amount = models.BigIntegerField()
    remaining = models.BigIntegerField()
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "points_lot"
        indexes = [
            # A wallet's live lots, read by every write on it.
            models.Index(
                fields=["user", "id"], name="point_lot_live_idx", condition=Q(remaining__gt=0)
            ),
            models.Index(
                fields=["company", "id"],
                name="point_lot_company_live_idx",
                condition=Q(remaining__gt=0, company__isnull=False),
            ),
            # The sweeper's queue: free lots that can still expire.
            models.Index(
                fields=["expires_at"],
                name="point_lot_due_idx",
                condition=Q(remaining__gt=0, expires_at__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=PointKind.values), name="point_lot_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0, remaining__gte=0, remaining__lte=F("amount")),
                name="point_lot_remaining_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(kind=PointKind.FREE) | Q(expires_at__isnull=True),
                name="point_lot_only_free_expires",
            ),
            _one_owner("point_lot_one_owner"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} lot {self.pk}: {self.remaining}/{self.amount}"


class PointAllocation(models.Model):
    """Points a use or an expiry took from one lot. Append-only."""

    id = models.BigAutoField(primary_key=True)
    entry = models.ForeignKey(PointEntry, on_delete=models.PROTECT, related_name="allocations")
    lot = models.ForeignKey(PointLot, on_delete=models.PROTECT, related_name="+", db_index=False)
    amount = models.BigIntegerField()

    class Meta:
        db_table = "points_allocation"
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="point_allocation_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} from lot {self.lot_id} for entry {self.entry_id}"
