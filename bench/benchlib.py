"""What the benches share: which database, Django set up against it, timing and tables."""

import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/npsapp_bench"
# BENCH_DATABASE_URL points the benches at another database (it is created if missing).
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)


def bench_env() -> dict:
    """The environment the app runs with in the benches: PostgreSQL, a broker (so Celery is not eager)."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=DATABASE_URL,
        DJANGO_SETTINGS_MODULE="npsapp.settings",
        DEBUG="false",
        # DEBUG off refuses to start without a key; this one signs nothing that outlives the bench.
        SECRET_KEY=os.environ.get("SECRET_KEY") or "bench-only-key",
        # Not eager: the dashboard view would otherwise refresh the roll-up itself. No task is sent.
        CELERY_BROKER_URL=os.environ.get("BENCH_CELERY_BROKER_URL", "redis://127.0.0.1:6379/9"),
        LOG_LEVEL="WARNING",
    )
    return env


def admin_url() -> str:
    """The same server's `postgres` database, to create or drop the bench database."""
    return urlunsplit(urlsplit(DATABASE_URL)._replace(path="/postgres"))


def database_name() -> str:
    return urlsplit(DATABASE_URL).path.lstrip("/")


def machine() -> str:
    """The conditions of the run: timings on a loaded machine are not comparable."""
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    return f"{os.cpu_count()} CPUs, load average {load}"


def django_setup() -> None:
    os.environ.update(bench_env())
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def elapsed_ms(fn) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def timed(fn, runs: int) -> list[float]:
    """Milliseconds of `runs` calls of `fn`, after one warm-up call."""
    fn()
    return [elapsed_ms(fn) for _ in range(runs)]


def stats(samples: list[float]) -> tuple[float, float, float]:
    """Median, nearest-rank 95th percentile and maximum."""
    ordered = sorted(samples)
    p95 = ordered[max(-(-95 * len(ordered) // 100), 1) - 1]
    return statistics.median(ordered), p95, ordered[-1]


def table(headers: list[str], rows: list[list]) -> str:
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row):
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
