"""What the FilterSets of the list endpoints share: filters whose query parameter
a DRF serializer field reads and validates, and their OpenAPI description.

django-filter validates a parameter with a Django form field, which answers a
bad value in Django's words ("Select a valid choice. x is not one of the
available choices.") and reads an empty or missing parameter its own way. The
API answers every bad input, body or query string, in DRF's words, as the
serializers of the bodies do, and clients and tests hold those answers. So a
`DRFFieldFilter` hands its parameter to a DRF field: read from the query
string as a serializer reads it (the last value; an empty one is absent unless
the field says otherwise), validated by the field, and a bad value is a 400
`invalid` with the field's messages under the parameter's name.

The OpenAPI description of such a filter is the DRF field's, exactly as
drf-spectacular describes a serializer given as `@extend_schema(parameters=...)`.
"""

import copy

import django_filters
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.plumbing import build_parameter_type
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.fields import SkipField, get_error_detail


class _QueryStringWidget(forms.Widget):
    """Reads the parameter as `drf_field` reads it from a serializer's data."""

    def __init__(self, drf_field: serializers.Field):
        super().__init__()
        self.drf_field = drf_field

    def value_from_datadict(self, data, files, name):
        reader = copy.copy(self.drf_field)  # the template stays unbound
        reader.field_name = name
        return reader.get_value(data)


class _DRFValueField(forms.Field):
    """A form field that leaves the validation to `drf_field`: its value, or None
    when the parameter is absent and has no default."""

    def __init__(self, *, drf_field: serializers.Field, **kwargs):
        self.drf_field = drf_field
        super().__init__(widget=_QueryStringWidget(drf_field), **kwargs)

    def clean(self, value):
        try:
            return self.drf_field.run_validation(value)
        except SkipField:
            return None
        except serializers.ValidationError as exc:
            details = exc.detail
        except DjangoValidationError as exc:
            details = get_error_detail(exc)
        # django-filter renders each message with `message % params`: the text
        # goes in as a parameter, so a "%" in it (or in the value it quotes)
        # comes out as written.
        raise DjangoValidationError(
            [
                DjangoValidationError("%(message)s", code=detail.code, params={"message": detail})
                for detail in details
            ]
        )


class DRFFieldFilter(django_filters.Filter):
    """A filter whose parameter `drf_field` (a scalar field, `required=False`)
    reads and validates; the value reaching the filter is the field's
    validated value, and an absent parameter without a default filters nothing.
    The other arguments are django-filter's: `field_name` and `lookup_expr`, or
    `method`."""

    field_class = _DRFValueField

    def __init__(self, drf_field: serializers.Field, **kwargs):
        super().__init__(drf_field=drf_field, **kwargs)
        self.extra["required"] = drf_field.required

    @property
    def drf_field(self) -> serializers.Field:
        return self.extra["drf_field"]


def drf_field_parameters(auto_schema, fields: dict[str, serializers.Field]) -> list[dict]:
    """The query parameters of `fields` (name: DRF field), as drf-spectacular
    writes those of a serializer given in `@extend_schema(parameters=...)`."""
    serializer = type(
        "QueryParameters",
        (serializers.Serializer,),
        {name: copy.deepcopy(field) for name, field in fields.items()},
    )()
    mapped = auto_schema._map_serializer(serializer, "request")
    return [
        build_parameter_type(
            name=name,
            schema=schema,
            description=schema.pop("description", None),
            location=OpenApiParameter.QUERY,
            allow_blank=getattr(serializer.fields[name], "allow_blank", True),
            required=name in mapped.get("required", []),
        )
        for name, schema in mapped["properties"].items()
    ]


class DRFFieldFilterExtension(DjangoFilterExtension):
    """drf-spectacular's django-filter support, describing a DRFFieldFilter by
    its DRF field rather than by guesses from the model."""

    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        if isinstance(filter_field, DRFFieldFilter):
            return drf_field_parameters(auto_schema, {field_name: filter_field.drf_field})
        return super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
