"""`python -m bench.sweeper`: how many due holds the expiry sweeper releases per second.

On the bench database (config.settings.bench): each round writes `--holds` due
1-unit holds spread over `--rows` stock rows of dedicated products (in bulk,
exactly as the service leaves them: counters, lines and ledger agree), then
times `reservation_expire_due(batch_size=--batch)`, the function beat runs.
Afterwards `manage.py audit` must pass and every hold must be expired, with one
`expire` movement each.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from decimal import Decimal

from . import ROOT, SETTINGS_MODULE

SKU = "BENCH-SWEEP-{:03d}"


def _products(rows: int):
    from apps.products.models import Product, Warehouse
    from apps.products.services import ProductData, product_create

    warehouse = Warehouse.objects.filter(is_active=True).order_by("priority", "id").first()
    if warehouse is None:
        sys.exit("no active warehouse in the bench database: run `make bench-seed`")
    products = []
    for i in range(rows):
        sku = SKU.format(i)
        product = Product.objects.filter(sku=sku, deleted_at__isnull=True).first()
        if product is None:
            product = product_create(
                data=ProductData(sku=sku, name=f"Sweeper benchmark {i}", price=Decimal("1.00"))
            )
        products.append(product)
    return products, warehouse


def _round(n: int, holds: int, rows: int, batch: int, user) -> tuple[float, int]:
    from django.utils import timezone

    from apps.reservations.services import reservation_expire_due
    from apps.stock.models import Reservation

    from .holds import due_holds

    products, warehouse = _products(rows)
    per_row = holds // rows
    for product in products:
        due_holds(
            product, warehouse, count=per_row, user=user, order_prefix=f"sweep-{time.time_ns()}"
        )
    due = Reservation.objects.filter(status="pending", expires_at__lte=timezone.now()).count()
    started = time.perf_counter()
    expired = reservation_expire_due(batch_size=batch)
    seconds = time.perf_counter() - started
    if expired < per_row * rows:
        sys.exit(f"round {n}: {expired} expired, expected at least {per_row * rows}")
    print(
        f"round {n}: {expired:,} holds ({due:,} due) in {seconds:.2f} s = "
        f"{expired / seconds:,.0f} holds/s",
        flush=True,
    )
    return expired / seconds, expired


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sweeper", description=__doc__)
    parser.add_argument("--holds", type=int, default=20_000, help="due holds per round")
    parser.add_argument("--rows", type=int, default=20, help="stock rows they spread over")
    parser.add_argument("--batch", type=int, default=1000, help="the sweeper's batch size")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from apps.ledger.models import StockMovement

    user, _ = get_user_model().objects.get_or_create(email="bench-sweeper@bench.invalid")
    first_movement = StockMovement.objects.order_by("-id").values_list("id", flat=True).first()
    rates, total = [], 0
    for n in range(1, args.rounds + 1):
        rate, expired = _round(n, args.holds, args.rows, args.batch, user)
        rates.append(rate)
        total += expired
    expire_movements = StockMovement.objects.filter(
        id__gt=first_movement or 0, type="expire"
    ).count()
    audit = subprocess.run(
        [sys.executable, "manage.py", "audit"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE},
        capture_output=True,
        text=True,
        check=False,
    )
    print(
        f"median {statistics.median(rates):,.0f} holds/s over {args.rounds} rounds "
        f"(batch {args.batch}, {args.holds:,} holds on {args.rows} rows per round; goal 5,000/s)"
    )
    print(f"expire movements written: {expire_movements:,} for {total:,} holds expired")
    print(f"audit: {'pass' if audit.returncode == 0 else 'FAIL'}")
    if audit.returncode != 0:
        print(audit.stdout[-2000:], audit.stderr[-2000:])
    return 0 if audit.returncode == 0 and expire_movements == total else 1


if __name__ == "__main__":
    sys.exit(main())
