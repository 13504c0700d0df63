"""The companies app's domain errors (their codes are the API's)."""

from apps.core.errors import Conflict


class AlreadyMember(Conflict):
    code = "already_member"
    default_message = "This user is already a member of the company."
