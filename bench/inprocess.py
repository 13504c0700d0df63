"""`python -m bench.inprocess`: CPU per request without HTTP, load or contention.

Drives Django's WSGI handler directly (the whole middleware and DRF path, no
gunicorn, no socket), one request at a time, on the bench database under
config.settings.bench. For each probe it prints the Python process's CPU and
the PostgreSQL backend's CPU (read from /proc, so PostgreSQL must run on this
machine) per request, averaged over `--requests`.

The load benchmarks' figures move with the machine; these move with the code
(and with the machine's speed, which the no-op line shows).

    python -m bench.inprocess --requests 3000
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
import uuid
from collections.abc import Callable

from .machine import process_cpu_seconds
from .runner import setup_django


class _Client:
    def __init__(self, token: str, admin_token: str) -> None:
        from django.core.handlers.wsgi import WSGIHandler

        self.app, self.token, self.admin_token = WSGIHandler(), token, admin_token

    def __call__(
        self,
        method: str,
        path: str,
        body: dict | None = None,
        query: str = "",
        *,
        admin: bool = False,
    ) -> tuple[int, bytes]:
        data = json.dumps(body).encode() if body is not None else b""
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1",
            "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(data)),
            "HTTP_AUTHORIZATION": f"Bearer {self.admin_token if admin else self.token}",
            "wsgi.input": io.BytesIO(data),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http",
        }
        status: list[str] = []
        response = self.app(environ, lambda s, headers, exc_info=None: status.append(s))
        try:
            content = b"".join(response)
        finally:
            response.close()  # request_finished, as a server sends it
        return int(status[0].split()[0]), content

    def get_json(self, path_and_query: str):
        path, _, query = path_and_query.partition("?")
        status, content = self(path=path, method="GET", query=query)
        if status != 200:
            raise RuntimeError(f"GET {path_and_query} answered {status}: {content[:300]!r}")
        return json.loads(content)


BULK = 100  # products per bulk availability request, as the catalog benchmark


def _probes(
    client: _Client, products: list[str], warehouses: list[str], catalog: dict[str, str]
) -> dict[str, tuple[int, Callable[[int], None]]]:
    """name -> (requests per call, call(i))."""

    def expect(answer: tuple[int, bytes], status: int) -> bytes:
        if answer[0] != status:
            raise RuntimeError(f"expected {status}, got {answer[0]}: {answer[1][:300]!r}")
        return answer[1]

    def reserve_cancel(i: int) -> None:
        body = {
            "order_id": f"inprocess-{uuid.uuid4().hex}",
            "lines": [{"product_id": products[i % len(products)], "quantity": 1}],
        }
        created = json.loads(expect(client("POST", "/api/v1/reservations/", body), 201))
        expect(client("POST", f"/api/v1/reservations/{created['id']}/cancel/"), 200)

    return {
        "noop": (1, lambda i: expect(client("GET", "/bench/noop/"), 200)),
        "products list, first page": (1, lambda i: expect(client("GET", "/api/v1/products/"), 200)),
        **{
            f"products list, {name}": (
                1,
                lambda i, query=query: expect(client("GET", "/api/v1/products/", query=query), 200),
            )
            for name, query in catalog.items()
        },
        "availability, one product": (
            1,
            lambda i: expect(
                client("GET", f"/api/v1/products/{products[i % len(products)]}/availability/"),
                200,
            ),
        ),
        f"availability, {BULK} products": (
            1,
            lambda i: expect(
                client(
                    "POST",
                    "/api/v1/stock/availability/",
                    {"product_ids": [products[(i + k) % len(products)] for k in range(BULK)]},
                ),
                200,
            ),
        ),
        "inbound, spread over rows": (
            1,
            lambda i: expect(
                client(
                    "POST",
                    "/api/v1/stock/inbound/",
                    {
                        "product_id": products[i % len(products)],
                        "warehouse": warehouses[i % len(warehouses)],
                        "quantity": 1,
                    },
                    admin=True,
                ),
                201,
            ),
        ),
        "reserve + cancel (2 requests)": (2, reserve_cancel),
    }


def _catalog_queries(context) -> dict[str, str]:
    """The query strings of the catalog benchmark's list scenarios."""
    from urllib.parse import urlencode

    from .scenarios import catalog

    deep = catalog.deep_cursors(context)[0]["cursor"]
    band = catalog.price_band(context)[0]
    return {
        "deep cursor": urlencode({"cursor": deep, "page_size": catalog.PAGE_SIZE}),
        "price range": urlencode({**band, "ordering": "-price"}),
        "common word": urlencode(catalog.common_word(context)[0]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.inprocess", description=__doc__)
    parser.add_argument("--requests", type=int, default=2000, help="calls per probe")
    parser.add_argument(
        "--only", default="", help="run only the probes whose name contains this text"
    )
    options = parser.parse_args(argv)
    setup_django()
    from django.db import connection

    from apps.accounts.tokens import PlatformAccessToken

    from .context import Context

    context = Context("http://127.0.0.1")
    user_id = context.bench_user_id("customer")
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    token = str(PlatformAccessToken.for_user(users.get(pk=user_id)))
    admin = users.get(pk=context.bench_user_id("warehouse_admin"))
    admin_token = str(PlatformAccessToken.for_user(admin))
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT p.id FROM products_product p JOIN stock_stock s ON s.product_id = p.id
             WHERE p.status = 'active' AND p.deleted_at IS NULL
               AND p.sale_starts_at IS NULL AND p.sale_ends_at IS NULL
               AND s.on_hand - s.reserved > 50
             LIMIT 2000
            """
        )
        products = [str(row[0]) for row in cursor.fetchall()]
        cursor.execute("SELECT code FROM products_warehouse WHERE is_active ORDER BY id")
        warehouses = [row[0] for row in cursor.fetchall()]
    if not products:
        print("no product with free stock: run `make bench-seed` first", file=sys.stderr)
        return 1
    client = _Client(token, admin_token)
    context.get_json = client.get_json  # the walk to a deep cursor, in process too
    print("per request, in ms:")
    print(f"{'probe':<32} {'python cpu':>11} {'postgres cpu':>13} {'wall':>8}")
    probes = _probes(client, products, warehouses, _catalog_queries(context))
    for name, (per_call, call) in probes.items():
        if options.only not in name:
            continue
        for i in range(50):  # warm: connection, prepared statements, caches
            call(i)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
        calls = max(1, options.requests // per_call)
        pg0, cpu0, wall0 = process_cpu_seconds(backend), time.process_time(), time.perf_counter()
        for i in range(calls):
            call(i)
        n = calls * per_call
        python_ms = 1000 * (time.process_time() - cpu0) / n
        postgres_ms = 1000 * (process_cpu_seconds(backend) - pg0) / n
        wall_ms = 1000 * (time.perf_counter() - wall0) / n
        print(f"{name:<32} {python_ms:>11.3f} {postgres_ms:>13.3f} {wall_ms:>8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
