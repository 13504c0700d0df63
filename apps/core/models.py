from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class IdempotencyRecord(models.Model):
    """The stored outcome of a mutating request sent with an Idempotency-Key.

    Scoped to the caller and the route; written by the service in the same
    transaction as the business change it records, so a replay never reports
    work that was rolled back (apps/core/idempotency.py). A refusal is stored
    whole; a success stores the id of what it made, and its answer once the view
    has rendered it after the commit. `completed_at` is empty while a service
    that commits twice is between its transactions. Purged after
    IDEMPOTENCY_KEY_TTL_HOURS by a beat task.
    """

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    route = models.CharField(max_length=200)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    result_id = models.CharField(max_length=64, blank=True, default="")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, encoder=DjangoJSONEncoder)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        db_table = "core_idempotency_record"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "route", "key"], name="core_idempotency_unique_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.route} {self.key}"
