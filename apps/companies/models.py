"""Companies and their members.

A company's points live in the points app's wallet, ledger and lots, with the
company as the owner (apps/points/models.py): one write protocol for users and
companies. A company's wallet is created with the company, in one transaction
(services.company_create).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from apps.core.models import TimeStampedModel


class Company(TimeStampedModel):
    id = models.BigAutoField(primary_key=True)
    name = models.CharField(max_length=200)
    registration_number = models.CharField(max_length=50, unique=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        db_table = "companies_company"
        verbose_name_plural = "companies"

    def __str__(self) -> str:
        return f"{self.name} ({self.registration_number})"


class MemberRole(models.TextChoices):
    MEMBER = "member", "Member"  # spends company points, sees its own uses
    MANAGER = "manager", "Manager"  # also sees every member's uses and the settlements


class Membership(TimeStampedModel):
    id = models.BigAutoField(primary_key=True)
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="company_memberships"
    )
    role = models.CharField(max_length=8, choices=MemberRole.choices, default=MemberRole.MEMBER)

    class Meta:
        db_table = "companies_membership"
        constraints = [
            models.UniqueConstraint(fields=["company", "user"], name="membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=MemberRole.values), name="membership_role_valid"
            ),
        ]
        indexes = [models.Index(fields=["user"], name="membership_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.company_id} as {self.role}"


class SettlementRunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class SettlementRun(models.Model):
    """The settlement of every company for one month, in chunks of companies
    (SettlementChunk) that Celery workers process in parallel. At most one run
    per period is queued, running or done (partial UNIQUE); a failed run may be
    started again."""

    id = models.BigAutoField(primary_key=True)
    period = models.DateField(help_text="The month's first day.")
    status = models.CharField(
        max_length=8, choices=SettlementRunStatus.choices, default=SettlementRunStatus.QUEUED
    )
    companies_total = models.PositiveIntegerField(default=0)
    companies_done = models.PositiveIntegerField(default=0)
    chunks_total = models.PositiveIntegerField(default=0)
    # The sums of the period's settlements, written by the last chunk.
    totals = models.JSONField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "companies_settlement_run"
        constraints = [
            models.UniqueConstraint(
                fields=["period"],
                condition=~models.Q(status="failed"),
                name="settlement_run_one_per_period",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=SettlementRunStatus.values),
                name="settlement_run_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(companies_done__lte=models.F("companies_total")),
                name="settlement_run_done_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"settlement run {self.pk} of {self.period:%Y-%m} ({self.status})"


class ChunkStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"  # its retries are spent; the run cannot finish


class SettlementChunk(models.Model):
    """The companies of a run with ids in [first_company_id, last_company_id],
    settled in one transaction that also marks the chunk done: a chunk is done
    exactly when its settlements are written, whatever crashed in between."""

    id = models.BigAutoField(primary_key=True)
    run = models.ForeignKey(SettlementRun, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    first_company_id = models.BigIntegerField()
    last_company_id = models.BigIntegerField()
    companies = models.PositiveIntegerField()
    status = models.CharField(
        max_length=8, choices=ChunkStatus.choices, default=ChunkStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    dispatched_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "companies_settlement_chunk"
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="settlement_chunk_unique"),
            models.CheckConstraint(
                condition=models.Q(status__in=ChunkStatus.values),
                name="settlement_chunk_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"chunk {self.number} of run {self.run_id} ({self.status})"


# The figures of a settlement, in the order of its columns (the API, the CSV,
# the admin and the run's totals list them so).
SETTLEMENT_FIGURES = (
    "opening_free",
    "opening_paid",
    "charged_paid",
    "granted_free",
    "used_free",
    "used_paid",
    "expired",
    "closing_free",
    "closing_paid",
    "billable_amount",
)


class Settlement(models.Model):
    """One company's month (invariant 7): closing = opening + charged + granted
    - used - expired, for free and paid points apart. Cancels count against what
    they cancel (a cancelled use is not used), in the month of the cancel: a
    use cancelled a month later lowers that later month's use and billable
    amount, which may then be negative (a credit). `billable_amount`: what the
    paid points used are worth, each at its charge's paid_amount / amount."""

    id = models.BigAutoField(primary_key=True)
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="settlements")
    period = models.DateField(help_text="The month's first day.")
    run = models.ForeignKey(
        SettlementRun, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opening_free = models.BigIntegerField()
    opening_paid = models.BigIntegerField()
    charged_paid = models.BigIntegerField()
    granted_free = models.BigIntegerField()
    used_free = models.BigIntegerField()
    used_paid = models.BigIntegerField()
    expired = models.BigIntegerField()
    closing_free = models.BigIntegerField()
    closing_paid = models.BigIntegerField()
    billable_amount = models.DecimalField(max_digits=16, decimal_places=2)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "companies_settlement"
        constraints = [
            models.UniqueConstraint(fields=["company", "period"], name="settlement_unique"),
            models.CheckConstraint(
                condition=models.Q(
                    closing_free=models.F("opening_free")
                    + models.F("granted_free")
                    - models.F("used_free")
                    - models.F("expired"),
                    closing_paid=models.F("opening_paid")
                    + models.F("charged_paid")
                    - models.F("used_paid"),
                ),
                name="settlement_closing_adds_up",
            ),
        ]
        indexes = [models.Index(fields=["period", "company"], name="settlement_period_idx")]

    def __str__(self) -> str:
        return f"settlement of company {self.company_id} for {self.period:%Y-%m}"
