"""The points app's domain errors (their codes are the API's)."""

from apps.core.errors import Conflict


class InsufficientPoints(Conflict):
    code = "insufficient_points"
    default_message = "Not enough points; nothing was changed."


class AlreadyCancelled(Conflict):
    code = "already_cancelled"
    default_message = "This entry has already been cancelled."
