"""What the benches share: which database, Django set up against it, timing, tables and results.

Each bench names its own database with its own variable (`use_database`): the 1M-answer dataset
(`BENCH_DATABASE_URL`, read by dataset.py, dashboard.py and export.py) is never the database of a
bench that drops or fills its own. Each bench prints its tables and writes them, with the load
average, the git commit and the targets met or missed, to `bench/results/<bench>.json` (`Report`).
"""

import datetime
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SERVER = "postgres://postgres@127.0.0.1:5432/"
# The shared dataset (dataset.py builds it; dashboard.py and export.py read it).
_database_url = os.environ.get("BENCH_DATABASE_URL", SERVER + "npsapp_bench")


def use_database(variable: str, default_name: str) -> str:
    """Point this bench at its own database: `variable` if set, else `default_name` on the local server.

    Only that variable is read, so setting BENCH_DATABASE_URL for the dataset never sends a bench
    that drops its database to the dataset's."""
    global _database_url
    _database_url = os.environ.get(variable, SERVER + default_name)
    return _database_url


def database_url() -> str:
    return _database_url


def bench_env() -> dict:
    """The environment the app runs with in the benches: PostgreSQL, a broker (so Celery is not eager)."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(),
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
    return urlunsplit(urlsplit(database_url())._replace(path="/postgres"))


def database_name() -> str:
    return urlsplit(database_url()).path.lstrip("/")


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


def page_timings(client, url: str, runs: int) -> tuple[list[float], list[dict], object]:
    """`runs` timed GETs of `url` after a warm-up (each must answer 200), then one more with its
    queries captured: (milliseconds, captured queries, that last reply)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get():
        reply = client.get(url)
        assert reply.status_code == 200, (url, reply.status_code)
        return reply

    samples = timed(get, runs)
    with CaptureQueriesContext(connection) as captured:
        reply = get()
    return samples, captured.captured_queries, reply


class Steps:
    """A build's timed steps: `steps(label, fn)` runs one and prints its time as it ends."""

    def __init__(self):
        self.timings: list[list] = []

    def __call__(self, label: str, fn) -> None:
        started = time.perf_counter()
        fn()
        self.timings.append([label, time.perf_counter() - started])
        print(f"{label}: {self.timings[-1][1]:.1f} s", flush=True)

    @property
    def total(self) -> float:
        return sum(seconds for _label, seconds in self.timings)

    def rows(self) -> list[list]:
        return [*self.timings, ["total", self.total]]


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


def git_commit() -> str:
    """The commit measured, with "+changes" when the work tree differs from it."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head.stdout.strip() + ("+changes" if status.stdout.strip() else "")


class Report:
    """What one bench run measured: printed as tables, then saved as `bench/results/<name>.json`.

    The load average is read at the start and at the end: figures taken while other work runs
    are not figures, and the file says so next to them."""

    def __init__(self, name: str):
        self.name = name
        self.started_at = datetime.datetime.now(datetime.UTC)
        self.load_at_start = os.getloadavg()
        self.tables: list[dict] = []
        self.targets: list[dict] = []
        self.notes: list[str] = []

    def table(self, title: str, headers: list[str], rows: list[list]) -> None:
        if title:
            print(title)
        print(table(headers, rows))
        self.tables.append({"title": title, "headers": list(headers), "rows": [list(row) for row in rows]})

    def note(self, line: str) -> None:
        print(line)
        self.notes.append(line.strip())

    def target(self, what: str, measured: str, met: bool) -> None:
        self.targets.append({"target": what, "measured": measured, "met": bool(met)})

    def save(self) -> Path:
        """Print the targets and the machine's load, and write the JSON file."""
        load_at_end = os.getloadavg()
        if self.targets:
            print()
            print(
                table(
                    ["target", "measured", "met"],
                    [[t["target"], t["measured"], "yes" if t["met"] else "NO"] for t in self.targets],
                )
            )
        # Judged by the load before the run: at its end the bench's own work is in the figure.
        busy = self.load_at_start[0] > 0.5 * (os.cpu_count() or 1)
        print(f"\n{machine()} at the end" + ("; the machine was busy: these timings are not figures" if busy else ""))
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"{self.name}.json"
        document = {
            "bench": self.name,
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "commit": git_commit(),
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "finished_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "cpus": os.cpu_count(),
            "load_average_start": [round(v, 2) for v in self.load_at_start],
            "load_average_end": [round(v, 2) for v in load_at_end],
            "machine_busy": busy,
            "targets": self.targets,
            "tables": self.tables,
            "notes": self.notes,
        }
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        print(f"results written to {shown}")
        return path
