"""Time-ordered UUIDs (RFC 9562 version 7) for primary keys.

Random v4 keys scatter inserts over the whole B-tree; v7 keys grow with time, so
a million-row table keeps its index pages hot and compact.

`ids_given` hands out chosen ids first, as freezegun hands out a chosen time:
the demo data gives the objects the schema's examples name the same ids on every
database, through the same services as any other object.
"""

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_given: ContextVar[Iterator[uuid.UUID] | None] = ContextVar("ids_given", default=None)


@contextmanager
def ids_given(*ids: uuid.UUID):
    """Inside, the next `uuid7()` calls return `ids` in order, then new ids again.
    The caller checks that each object got the id meant for it."""
    token = _given.set(iter(ids))
    try:
        yield
    finally:
        _given.reset(token)


def uuid7() -> uuid.UUID:
    given = _given.get()
    if given is not None and (chosen := next(given, None)) is not None:
        return chosen
    unix_ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (unix_ms & ((1 << 48) - 1)) << 80  # 48-bit timestamp
    value |= 0x7 << 76  # version
    value |= ((rand >> 62) & 0xFFF) << 64  # 12 random bits
    value |= 0b10 << 62  # variant
    value |= rand & ((1 << 62) - 1)  # 62 random bits
    return uuid.UUID(int=value)
