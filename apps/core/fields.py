from rest_framework import serializers


class UUIDStringField(serializers.UUIDField):
    """A UUID given as a string. DRF's UUIDField also takes a JSON integer as a
    UUID's 128-bit value; API.md says ids are UUID strings, so a number is a 400."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)
