import uuid

from apps.core.ids import ids_given, uuid7


def test_uuid7_grows_with_time_and_is_version_7():
    first, second = uuid7(), uuid7()
    assert first.version == second.version == 7
    assert first.int >> 80 <= second.int >> 80  # the millisecond timestamp


def test_ids_given_are_handed_out_first_in_order_then_new_ones_again():
    chosen = [uuid.uuid5(uuid.NAMESPACE_URL, name) for name in ("a", "b")]

    with ids_given(*chosen):
        handed = [uuid7(), uuid7(), uuid7()]

    assert handed[:2] == chosen and handed[2].version == 7
    assert uuid7() not in chosen and uuid7().version == 7
