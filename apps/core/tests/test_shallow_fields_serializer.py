"""ShallowFieldsSerializer: shallow field copies, as independent as DRF's deep copies."""

from rest_framework import serializers

from apps.core.serializers import ShallowFieldsSerializer
from apps.products.filters import ProductListFilterSerializer


class _Filter(ShallowFieldsSerializer):
    status = serializers.ChoiceField(choices=[("a", "A"), ("b", "B")], required=False)
    low = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=0, required=False)


def test_each_instance_binds_its_own_fields_and_the_templates_stay_unbound():
    first, second = _Filter(data={"status": "a"}), _Filter(data={"low": "-1"})
    assert first.fields["status"] is not second.fields["status"]
    assert first.fields["status"].parent is first
    assert second.fields["status"].parent is second
    assert _Filter._declared_fields["status"].field_name is None


def test_validation_answers_as_the_declared_fields_say():
    good, bad = _Filter(data={"status": "a", "low": "1.50"}), _Filter(data={"status": "z"})
    assert good.is_valid(), good.errors
    assert str(good.validated_data["low"]) == "1.50"
    assert not bad.is_valid()
    assert bad.errors["status"][0].code == "invalid_choice"
    negative = _Filter(data={"low": "-1"})
    assert not negative.is_valid()
    assert negative.errors["low"][0].code == "min_value"


def test_the_product_filter_renders_the_same_errors_as_a_plain_serializer():
    plain = type(
        "Plain", (serializers.Serializer,), dict(ProductListFilterSerializer._declared_fields)
    )
    bad = {"status": "gone", "min_price": "-3", "max_price": "x", "q": "y" * 201}
    flat, reference = ProductListFilterSerializer(data=bad), plain(data=bad)
    assert not flat.is_valid() and not reference.is_valid()
    assert flat.errors == reference.errors


def test_a_nested_serializer_is_deep_copied_per_instance():
    class _Body(ShallowFieldsSerializer):
        name = serializers.CharField()
        filters = _Filter(many=True)

    first, second = _Body(data={}), _Body(data={})
    assert first.fields["filters"] is not second.fields["filters"]
    assert first.fields["filters"].child is not second.fields["filters"].child
    body = _Body(data={"name": "x", "filters": [{"status": "a"}, {"status": "z"}]})
    assert not body.is_valid()
    assert list(body.errors) == ["filters"]
    assert body.errors["filters"][1]["status"][0].code == "invalid_choice"


def test_the_reservation_body_renders_the_same_errors_as_a_plain_serializer():
    from apps.reservations.serializers import ReservationCreateInputSerializer

    plain = type(
        "Plain", (serializers.Serializer,), dict(ReservationCreateInputSerializer._declared_fields)
    )
    bad = {"order_id": "", "lines": [{"product_id": 7, "quantity": 0}, {}], "ttl_seconds": "x"}
    body, reference = ReservationCreateInputSerializer(data=bad), plain(data=bad)
    assert not body.is_valid() and not reference.is_valid()
    assert body.errors == reference.errors
