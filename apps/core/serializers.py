"""Serializer bases shared by the apps."""

import copy

from rest_framework import serializers


class ShallowFieldsSerializer(serializers.Serializer):
    """A serializer read on every request of a hot endpoint (list filters,
    reservation bodies) that copies its plain fields shallowly.

    DRF deep-copies the declared fields for every instance, rebuilding each one
    from its arguments: a tenth of a product list page's CPU. The declared
    fields are templates that are never bound, so a shallow copy per instance is
    as independent where it matters: binding sets attributes on the copy only,
    and what the copies share (choices, validators, error messages) nothing
    writes after construction. Nested serializers hold fields of their own and
    are deep-copied, as DRF does.
    """

    def get_fields(self):
        return {
            name: (
                copy.deepcopy(field)
                if isinstance(field, serializers.BaseSerializer)
                else copy.copy(field)
            )
            for name, field in self._declared_fields.items()
        }
