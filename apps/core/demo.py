"""The demo objects the schema's examples name (`manage.py seed_demo` loads
them; apps/demo/tests holds both sides to these ids).

Products and the walkthrough's holds, order and payment have the same ids on
every database: name-based UUIDs. Objects the database numbers have these ids
on a fresh `make run` (the demo data loaded into an empty database)."""

import uuid

NAMESPACE = uuid.UUID("6f1c3b0e-8a2d-4f5e-9b7c-2d4e6f8a0b1c")


def demo_uuid(name: str) -> uuid.UUID:
    """The id of the demo object called `name` (a product's SKU)."""
    return uuid.uuid5(NAMESPACE, name)


MUG = str(demo_uuid("MUG-CER-03"))  # Ceramic Coffee Mug

# The customer's walkthrough: a hold for each step a newcomer presses once.
HOLD_TO_CONFIRM = str(demo_uuid("hold:confirm"))
HOLD_TO_CANCEL = str(demo_uuid("hold:cancel"))
HOLD_TO_EXTEND = str(demo_uuid("hold:extend"))
HOLD_TO_PAY = str(demo_uuid("hold:pay"))
HOLD_PAID = str(demo_uuid("hold:paid"))
PAID_ORDER = str(demo_uuid("order:paid"))
PAID_PAYMENT = str(demo_uuid("payment:paid"))

# Numbered by the database, as on a fresh `make run`.
CUSTOMER = 3  # customer@example.com (after staff@ and warehouse@)
WAREHOUSE = 1  # SEL-1, Seoul main
MUG_STOCK = 5  # the mug's stock row at SEL-1
COUPON_DROP = 1
COMPANY = 1  # Demo Trading Co., the customer its manager
CUSTOMER_POINTS_USE = 3  # the customer's use of 50 points, cancellable
SETTLEMENT_RUN = 1  # every company settled for SETTLED_PERIOD
SETTLED_PERIOD = "2026-01"
SCARF = str(demo_uuid("SCARF-WOOL-06"))  # Wool Scarf: never held by the demo, so deletable
