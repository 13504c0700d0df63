"""Bulk-load a large catalog with PostgreSQL COPY: products, warehouses, stock rows
and one matching inbound movement per stock row (so `audit` passes).

    python manage.py seed_catalog --products 1000000 --warehouses 5

Like `pg_restore --jobs`, it loads through several connections at once (one per
core by default): each worker streams its share of the products through COPY,
then their stock rows, and commits. The inbound movements are derived from the
new stock rows by INSERT ... SELECT in the server. Foreign keys and secondary
indexes of the three tables are dropped first and rebuilt once at the end
(apps.core.bulk_load), also in parallel. Not one transaction: if a worker fails,
the rows other workers committed stay (re-seed a fresh database). For
benchmarks and development, not for a live site.
"""

import random
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import product as cartesian

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from apps.core.bulk_load import (
    drop_secondary_structures,
    parallel,
    restore_secondary_structures,
)

ADJECTIVES = [
    "Ergonomic",
    "Rustic",
    "Sleek",
    "Compact",
    "Durable",
    "Lightweight",
    "Premium",
    "Classic",
    "Modern",
    "Vintage",
    "Portable",
    "Handmade",
    "Refined",
    "Practical",
    "Elegant",
    "Rugged",
    "Smart",
    "Soft",
    "Heavy",
    "Minimal",
    "Bold",
    "Cozy",
    "Sturdy",
    "Slim",
    "Deluxe",
    "Essential",
    "Advanced",
    "Everyday",
    "Foldable",
    "Wireless",
]
MATERIALS = [
    "Steel",
    "Wooden",
    "Cotton",
    "Leather",
    "Ceramic",
    "Glass",
    "Bamboo",
    "Granite",
    "Aluminum",
    "Wool",
    "Linen",
    "Copper",
    "Marble",
    "Rubber",
    "Silk",
    "Oak",
    "Walnut",
    "Titanium",
    "Canvas",
    "Porcelain",
]
NOUNS = [
    "Chair",
    "Table",
    "Lamp",
    "Shirt",
    "Jacket",
    "Backpack",
    "Bottle",
    "Mug",
    "Keyboard",
    "Mouse",
    "Speaker",
    "Headphones",
    "Blanket",
    "Pillow",
    "Shelf",
    "Desk",
    "Sofa",
    "Watch",
    "Wallet",
    "Belt",
    "Hat",
    "Scarf",
    "Kettle",
    "Pan",
    "Knife",
    "Board",
    "Clock",
    "Mirror",
    "Vase",
    "Rug",
    "Tent",
    "Bicycle",
    "Helmet",
    "Camera",
    "Tripod",
    "Charger",
    "Cable",
    "Notebook",
    "Pen",
    "Planter",
]
# Description vocabulary: a few words appear in most rows, many in some, and a
# long tail in very few, as in real catalogs (so searches span 10 to 500k hits).
COMMON = ["quality", "design", "durable", "everyday", "comfort"]
MIDDLE = [
    "kitchen",
    "office",
    "travel",
    "outdoor",
    "garden",
    "bedroom",
    "living",
    "bathroom",
    "kids",
    "gift",
    "sport",
    "summer",
    "winter",
    "waterproof",
    "recycled",
    "organic",
    "adjustable",
    "stackable",
    "washable",
    "compact",
    "portable",
    "natural",
    "handcrafted",
    "premium",
    "warranty",
    "assembly",
    "included",
    "cleaning",
    "storage",
    "lightweight",
    "ergonomic",
    "vintage",
    "modern",
    "classic",
    "minimalist",
    "colorful",
    "neutral",
    "matte",
    "glossy",
    "textured",
]
RARE = [
    f"{head}{tail}"
    for head in ("zeph", "quor", "vell", "mirk", "trax", "luma", "bryn", "kest")
    for tail in ("ite", "ora", "ex", "ion", "ux", "amel", "orn", "ist")
]
STATUSES = ("active",) * 90 + ("inactive",) * 7 + ("discontinued",) * 3
DESCRIPTION_POOL = 50_000
TIMESTAMP_POOL = 100_000
PAYLOAD_POOL = 200_000
LAYOUT_POOL = 10_000
CHUNK = 20_000


def _description(rng: random.Random) -> str:
    words = rng.sample(COMMON, 2) + rng.choices(MIDDLE, k=rng.randint(8, 14))
    if rng.random() < 0.01:
        words.append(rng.choice(RARE))
    rng.shuffle(words)
    return " ".join(words).capitalize() + "."


@dataclass(frozen=True)
class Pools:
    """Pre-built row fragments: per row, Python only draws from these."""

    payloads: list[str]  # name, description, price, status
    timestamps: list[str]
    layouts: list[list[str]]  # the stock rows of one product, minus id and timestamps

    @classmethod
    def build(cls, rng: random.Random, warehouse_ids: list[int], per_product: int) -> "Pools":
        names = [" ".join(parts) for parts in cartesian(ADJECTIVES, MATERIALS, NOUNS)]
        descriptions = [_description(rng) for _ in range(DESCRIPTION_POOL)]
        payloads = [
            f"{rng.choice(names)}\t{rng.choice(descriptions)}\t"
            f"{rng.randint(100, 500_000) / 100:.2f}\t{rng.choice(STATUSES)}"
            for _ in range(PAYLOAD_POOL)
        ]
        now = datetime.now(UTC)
        timestamps = [
            (now - timedelta(seconds=rng.random() * 730 * 86400)).isoformat()
            for _ in range(TIMESTAMP_POOL)
        ]
        layouts = []
        for _ in range(LAYOUT_POOL):
            reorder = rng.choice((0, 5, 10, 20))
            layouts.append(
                [
                    f"\t{warehouse}\t{rng.randint(0, 500)}\t0\t{reorder // 2}\t{reorder}\t"
                    for warehouse in rng.sample(warehouse_ids, rng.randint(1, per_product))
                ]
            )
        return cls(payloads=payloads, timestamps=timestamps, layouts=layouts)


PRODUCT_COPY = (
    "COPY products_product (id, sku, name, description, price, status, created_at, "
    "updated_at) FROM STDIN"
)
STOCK_COPY = (
    "COPY stock_stock (product_id, warehouse_id, on_hand, reserved, min_stock_level, "
    "reorder_point, created_at, updated_at) FROM STDIN"
)
MOVEMENTS_FROM_STOCK = """
INSERT INTO stock_movement
    (type, stock_id, product_id, warehouse_id, on_hand_delta, reserved_delta,
     on_hand_after, reserved_after, reason, reference, created_at)
SELECT 'inbound', id, product_id, warehouse_id, on_hand, 0, on_hand, 0,
       'seed', 'seed_catalog', created_at
FROM stock_stock WHERE id > %s AND id %% %s = %s
"""


def _load_products(numbers: range, pools: Pools, seed: str, progress: "Progress"):
    """A worker: COPY its products, then their stock rows, on its own connection."""

    def task(conn) -> int:
        rng = random.Random(seed)
        choice, getrandbits = rng.choice, rng.getrandbits
        payloads, timestamps, layouts = pools.payloads, pools.timestamps, pools.layouts
        stock_rows: list[str] = []
        add_stock = stock_rows.append
        with conn.cursor() as cursor:
            with cursor.copy(PRODUCT_COPY) as copy:
                for start in range(numbers.start, numbers.stop, CHUNK):
                    lines = []
                    add = lines.append
                    for number in range(start, min(start + CHUNK, numbers.stop)):
                        h = f"{getrandbits(128):032x}"
                        product_id = f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"
                        created = choice(timestamps)
                        add(
                            f"{product_id}\tSEED-{number:08d}\t{choice(payloads)}\t"
                            f"{created}\t{created}\n"
                        )
                        for middle in choice(layouts):
                            add_stock(f"{product_id}{middle}{created}\t{created}\n")
                    copy.write("".join(lines))
                    progress.advance(len(lines))
            with cursor.copy(STOCK_COPY) as copy:
                for start in range(0, len(stock_rows), CHUNK * 5):
                    copy.write("".join(stock_rows[start : start + CHUNK * 5]))
        return len(stock_rows)

    return task


def _derive_movements(after_id: int, jobs: int, part: int):
    def task(conn) -> int:
        with conn.cursor() as cursor:
            cursor.execute(MOVEMENTS_FROM_STOCK, [after_id, jobs, part])
            return cursor.rowcount

    return task


class Progress:
    """A one-line progress bar, safe to advance from several threads."""

    def __init__(self, stream, label: str, total: int) -> None:
        self.stream, self.label, self.total = stream, label, total
        self.done = 0
        self.started = time.monotonic()
        self.lock = threading.Lock()

    def advance(self, count: int) -> None:
        with self.lock:
            self.done += count
            width = 30
            filled = int(width * self.done / self.total)
            rate = self.done / max(time.monotonic() - self.started, 1e-9)
            self.stream.write(
                f"\r  {self.label:<9} [{'#' * filled}{'.' * (width - filled)}] "
                f"{self.done:>10,}/{self.total:,} {rate:>9,.0f}/s"
            )
            if self.done >= self.total:
                self.stream.write(f"  {time.monotonic() - self.started:.1f} s\n")
            self.stream.flush()


class Command(BaseCommand):
    help = "Bulk-load products, warehouses, stock rows and their inbound movements (COPY)."

    def add_arguments(self, parser):
        parser.add_argument("--products", type=int, default=10_000)
        parser.add_argument("--warehouses", type=int, default=5)
        parser.add_argument("--seed", type=int, default=42, help="Random seed (repeatable).")
        parser.add_argument(
            "--max-warehouses-per-product",
            type=int,
            default=3,
            help="Each product is stocked in 1..N warehouses.",
        )
        parser.add_argument("--jobs", type=int, default=2, help="Parallel connections.")

    def handle(
        self, *args, products, warehouses, seed, max_warehouses_per_product, jobs, **options
    ):
        if connection.vendor != "postgresql":
            raise CommandError("seed_catalog uses PostgreSQL COPY; set DATABASE_URL.")
        if products < 1 or not 1 <= warehouses <= 1000 or not 1 <= jobs <= 16:
            raise CommandError("need --products >= 1, 1 <= --warehouses <= 1000, 1 <= --jobs <= 16")
        started = time.monotonic()
        report = lambda line: self.stdout.write(f"  {line}\n")  # noqa: E731
        with transaction.atomic(), connection.cursor() as cursor:
            warehouse_ids = self._warehouses(cursor, warehouses)
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM stock_stock")
            last_stock_id = cursor.fetchone()[0]
            cursor.execute("SELECT COUNT(*) FROM products_product WHERE sku LIKE 'SEED-%%'")
            first = cursor.fetchone()[0]
        connection.close()  # the load uses its own connections
        rng = random.Random(seed)
        per_product = max(1, min(max_warehouses_per_product, len(warehouse_ids)))
        pools = Pools.build(rng, warehouse_ids, per_product)
        bounds = [first + products * k // jobs for k in range(jobs + 1)]
        saved = drop_secondary_structures(["products_product", "stock_stock", "stock_movement"])
        try:
            progress = Progress(self.stdout, "products", products)
            stock_rows = sum(
                parallel(
                    [
                        _load_products(
                            range(bounds[k], bounds[k + 1]), pools, f"{seed}:{bounds[k]}", progress
                        )
                        for k in range(jobs)
                    ],
                    jobs=jobs,
                )
            )
            report(f"stock rows: {stock_rows:,} (loaded with their products)")
            t0 = time.monotonic()
            movements = sum(
                parallel(
                    [_derive_movements(last_stock_id, jobs, k) for k in range(jobs)], jobs=jobs
                )
            )
            report(f"movements: {movements:,} inbound rows in {time.monotonic() - t0:.1f} s")
        finally:
            restore_secondary_structures(saved, jobs=jobs, report=report)
        t0 = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE products_product, stock_stock, stock_movement")
        report(f"analyze in {time.monotonic() - t0:.1f} s")
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {products:,} products ({stock_rows:,} stock rows) in {warehouses} "
                f"warehouses in {time.monotonic() - started:.1f} s"
            )
        )

    def _warehouses(self, cursor, count: int) -> list[int]:
        now = datetime.now(UTC)
        codes = [f"WH-{i}" for i in range(1, count + 1)]
        for i, code in enumerate(codes, start=1):
            cursor.execute(
                """
                INSERT INTO products_warehouse
                    (code, name, priority, is_active, created_at, updated_at)
                VALUES (%s, %s, %s, true, %s, %s) ON CONFLICT (code) DO NOTHING
                """,
                [code, f"Warehouse {i}", i * 10, now, now],
            )
        cursor.execute(
            "SELECT id FROM products_warehouse WHERE code = ANY(%s) ORDER BY priority, id",
            [codes],
        )
        return [row[0] for row in cursor.fetchall()]
