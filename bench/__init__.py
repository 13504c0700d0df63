"""Benchmark harness: the real stack (gunicorn, PostgreSQL, Redis) under wrk.

`python -m bench [group|scenario ...]` (see bench/README.md). Modules:

- model     what a scenario is (data), and the request shapes it is built from
- context   what scenario setups share while the server runs (HTTP, SQL, JWT)
- stack     gunicorn under config.settings.bench, always stopped
- wrk       the load generator; pgbench the SQL ceilings
- runner    one run: ceilings, scenarios, post-checks, failures kept apart
- report    the table, the JSON and the chart under bench/results/
- machine   the facts of the machine and of the software measured
- tune      --tune-workers: gunicorn shapes on the no-op endpoint
- sql_capture  --show-sql: the SQL one request of each scenario issues
- seed      python -m bench.seed: create, migrate and seed the bench database
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
RESULTS_DIR = BENCH_DIR / "results"
LUA_SCRIPT = BENCH_DIR / "lua" / "requests.lua"
SETTINGS_MODULE = "config.settings.bench"
