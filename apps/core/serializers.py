"""Serializer bases shared by the apps."""

import copy

from rest_framework import serializers


class FlatSerializer(serializers.Serializer):
    """A serializer of plain fields only (query-parameter filters, small bodies),
    read on every request of the hot list endpoints.

    DRF deep-copies the declared fields for every instance, rebuilding each one
    from its arguments: a tenth of a product list page's CPU. The declared
    fields are templates that are never bound, so a shallow copy per instance is
    as independent where it matters: binding sets attributes on the copy only,
    and what the copies share (choices, validators, error messages) nothing
    writes after construction. A nested serializer would share its own fields,
    so they are refused here.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        nested = [
            name
            for name, field in getattr(cls, "_declared_fields", {}).items()
            if isinstance(field, serializers.BaseSerializer)
        ]
        if nested:
            raise TypeError(f"{cls.__name__}: nested serializers are not flat: {nested}")

    def get_fields(self):
        return {name: copy.copy(field) for name, field in self._declared_fields.items()}
