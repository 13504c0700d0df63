from datetime import UTC

from rest_framework import serializers


class UUIDStringField(serializers.UUIDField):
    """A UUID given as a string. DRF's UUIDField also takes a JSON integer as a
    UUID's 128-bit value; docs/api.md says ids are UUID strings, so a number is a 400."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """An integer in JSON: "10", 10.0, true or NaN are a 400, not 10 (DRF's
    IntegerField would take the first three). Points and quantities are such."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


def iso_datetime(value) -> str | None:
    """A datetime as DRF renders it: ISO 8601 in UTC, "+00:00" written "Z"."""
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def money(value) -> str:
    """A Decimal as docs/api.md's money: a string with 2 places."""
    return f"{value:.2f}"
