"""`python -m bench.storm`: a double-pay storm against the real stack.

    python -m bench.storm [--reservations 1000] [--payments 5] [--clients 50]

On the bench database (config.settings.bench) and gunicorn as `python -m bench`
starts it: the bench customer holds `--reservations` reservations of 1 unit
each (of the spread products), then `--clients` threads send, for every
reservation, `--payments` checkouts by card at once (`POST /api/v1/orders/`),
each with an Idempotency-Key of its own, as a shopper who presses "pay" five
times on five devices would. Printed: the answers by status and error code,
the time and rate, and the charges counted at the fake gateway's own book.
The promise: exactly one 201 and one charge per reservation, every other
answer a 409 (`payment_in_progress` or `already_paid`), `manage.py audit`
clean. The exit status is 1 when it is broken.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

from .runner import log, setup_django
from .stack import GunicornConfig, gunicorn


def _holds(ctx, count: int) -> list[str]:
    """`count` fresh 1-unit holds of the bench customer, over the spread products."""
    from apps.reservations.services import reservation_create
    from apps.reservations.services.reserve import LineRequest

    from .scenarios.reservations import cancel_leftovers, spread_products

    cancel_leftovers(ctx)
    products = spread_products(ctx)
    user_id = ctx.bench_user_id("customer")
    run = uuid.uuid4().hex[:8]
    return [
        str(
            reservation_create(
                user_id=user_id,
                order_id=f"storm-{run}-{i}",
                lines=[
                    LineRequest(
                        product_id=UUID(products[i % len(products)]["product_id"]), quantity=1
                    )
                ],
            ).pk
        )
        for i in range(count)
    ]


def _pay(base_url: str, token: str, reservation_id: str) -> tuple[int, str]:
    body = json.dumps(
        {"reservation_id": reservation_id, "payment_method": "card", "payment_token": "tok_approve"}
    ).encode()
    request = urllib.request.Request(
        f"{base_url}/api/v1/orders/",
        data=body,
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": f"storm-{uuid.uuid4()}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        try:
            code = json.loads(exc.read() or b"{}").get("error", {}).get("code", "")
        except ValueError:
            code = "(not json)"
        return exc.code, code


def _charges(reservation_ids: list[str]) -> tuple[int, int, int]:
    """Approved charges at the fake gateway for payments of these reservations;
    paid payments; paid orders."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT (SELECT count(*) FROM payments_payment p
                      JOIN payments_fake_gateway_charge c
                        ON c.reference = p.id::text AND c.status = 'approved'
                     WHERE p.reservation_id = ANY(%(ids)s::uuid[])),
                   (SELECT count(*) FROM payments_payment
                     WHERE reservation_id = ANY(%(ids)s::uuid[]) AND status = 'paid'),
                   (SELECT count(*) FROM payments_order
                     WHERE reservation_id = ANY(%(ids)s::uuid[]) AND status = 'paid')
            """,
            {"ids": reservation_ids},
        )
        return cursor.fetchone()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.storm", description=__doc__)
    parser.add_argument("--reservations", type=int, default=1000)
    parser.add_argument("--payments", type=int, default=5, help="concurrent payments of each")
    parser.add_argument("--clients", type=int, default=50, help="threads sending them")
    args = parser.parse_args(argv)
    setup_django()
    from django.db import connections

    from .context import Context
    from .scenarios.catalog import audit

    with gunicorn(GunicornConfig.from_env()) as server:
        ctx = Context(server.base_url, server.pid)
        token = ctx.bearer("customer")["Authorization"].removeprefix("Bearer ")
        started = time.perf_counter()
        reservation_ids = _holds(ctx, args.reservations)
        log(f"{len(reservation_ids):,} holds made in {time.perf_counter() - started:.1f} s")
        connections.close_all()
        answers: Counter[tuple[int, str]] = Counter()
        lock = threading.Lock()

        def pay(reservation_id: str) -> None:
            answer = _pay(server.base_url, token, reservation_id)
            with lock:
                answers[answer] += 1

        # The payments of one reservation are submitted one after the other, so
        # they are in flight together (with those of clients/payments others).
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.clients) as pool:
            for reservation_id in reservation_ids:
                for _ in range(args.payments):
                    pool.submit(pay, reservation_id)
        seconds = time.perf_counter() - started
    charges, paid, orders = _charges(reservation_ids)
    audited = audit(ctx)
    sent = sum(answers.values())
    created = answers[(201, "")]
    refused = sum(n for (status, _), n in answers.items() if status == 409)
    print(
        f"{sent:,} payments of {len(reservation_ids):,} reservations ({args.payments} at once "
        f"each, {args.clients} clients) in {seconds:.1f} s = {sent / seconds:,.0f} requests/s"
    )
    for (status, code), n in sorted(answers.items()):
        print(f"  {status} {code or '':<22} {n:>7,}")
    print(f"charges approved at the gateway: {charges:,} (must be {len(reservation_ids):,})")
    print(f"payments paid: {paid:,}; orders paid: {orders:,}")
    print(f"audit: {'pass' if audited.ok else 'FAIL'}: {audited.detail}")
    n = len(reservation_ids)
    kept = created == charges == paid == orders == n and refused == sent - n and audited.ok
    print("promise kept: one charge per reservation" if kept else "BROKEN")
    return 0 if kept else 1


if __name__ == "__main__":
    sys.exit(main())
