"""The customer CSV import (crm.importer) on PostgreSQL: 100,000 customers, then the same file again.

    .venv/bin/python bench/import_customers.py [--customers N]

Builds its own database, `npsapp_bench_import` (dropped and migrated each run; set
BENCH_IMPORT_DATABASE_URL for another), declares two custom attributes and one account
owner, and writes a deterministic CSV of N customers (every column filled) to a temporary
file. Then, timed, through `crm.importer.import_customers_csv`, as `manage.py
import_customers` does: (1) the file into the empty table, all created; (2) the same file
again, all unchanged, checked to have issued no INSERT or UPDATE on crm_customer; (3) a
copy with one customer in ten changed, so 10 % updated. Target: (1) and (2) < 30 s each.

Besides the time, each run shows the CPU time of this process (the app's side) and of the
PostgreSQL server process serving it (read from /proc: the database must run on this
machine for that column), and the load average when it started: on a busy machine the
wall-clock time grows while the CPU times stay put.
"""

import argparse
import contextlib
import csv
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from benchlib import Report, database_name, django_setup, machine, use_database
from dataset import FIRST_NAMES, LAST_NAMES, REGIONS, _manage, _recreate_database

use_database("BENCH_IMPORT_DATABASE_URL", "npsapp_bench_import")

SEED = 20240501
TARGET_SECONDS = 30
OWNER = "bench_owner"
CUSTOMER_WRITES = ('INSERT INTO "crm_customer"', 'UPDATE "crm_customer"')
ATTRIBUTES = [("loyalty_points", "number", ""), ("store", "choice", "Paris\nLyon\nRennes\nLille")]


def header() -> list[str]:
    """The importer's own columns (after django_setup), plus the bench's custom attributes."""
    from crm.services.rows import ATTRIBUTE_PREFIX, CUSTOMER_FIELDS

    return [*CUSTOMER_FIELDS, *(f"{ATTRIBUTE_PREFIX}{key}" for key, _type, _choices in ATTRIBUTES)]


def _age_band(age: int) -> str:
    for limit, band in ((25, "18-24"), (35, "25-34"), (50, "35-49"), (65, "50-64")):
        if age < limit:
            return band
    return "65+"


def write_csv(path: Path, customers: int, *, changed_every: int = 0) -> None:
    """N customers drawn from one seed: the same file every time. With changed_every=k, every
    k-th customer gets another last name (the rest identical)."""
    rng = random.Random(SEED)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(header())
        for n in range(1, customers + 1):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            if changed_every and n % changed_every == 0:
                last = f"{last}-Nouveau"
            age = 18 + int(rng.random() ** 1.3 * 68)
            since = f"{2016 + rng.randrange(8)}-{1 + rng.randrange(12):02d}-{1 + rng.randrange(28):02d}"
            writer.writerow(
                [
                    f"C{n:07d}",
                    f"customer{n}@example.com",
                    first,
                    last,
                    f"+33 6 {rng.randrange(10**8):08d}",
                    rng.choice(["fr", "fr", "en", ""]),
                    since,
                    rng.choice(["yes", "no"]),
                    2024 - age,
                    _age_band(age),
                    rng.choice(["female", "male", "other", "undisclosed"]),
                    rng.choice(["Paris", "Lyon", "Rennes", "Lille", "Nantes"]),
                    rng.choice(REGIONS),
                    rng.choice(["urban", "rural"]),
                    rng.choice(["basic", "standard", "premium"]),
                    OWNER if n % 10 == 0 else "",
                    rng.randrange(5000),
                    rng.choice(["Paris", "Lyon", "Rennes", "Lille", ""]),
                ]
            )


def _backend_cpu(pid: int) -> float:
    """CPU seconds the database server process serving this connection has used (same machine)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    args = parser.parse_args()
    if "bench" not in database_name():
        sys.exit(f"refusing to use {database_name()!r}: the bench database's name must contain 'bench'")

    results = Report("import_customers")
    print(f"{database_name()}: {args.customers:,} customers; {machine()}\n")
    _recreate_database()
    _manage("migrate", "--noinput", "-v", "0")
    django_setup()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from crm.importer import import_customers_csv
    from crm.models import CustomAttribute, Customer

    User.objects.create_user(username=OWNER, is_staff=True)
    for key, kind, choices in ATTRIBUTES:
        CustomAttribute.objects.create(key=key, label=key, type=kind, choices=choices)

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        same, changed = Path(tmp) / "customers.csv", Path(tmp) / "customers-changed.csv"
        write_csv(same, args.customers)
        write_csv(changed, args.customers, changed_every=10)
        size_mb = same.stat().st_size / 1e6
        for label, path in (("1. first import", same), ("2. same file again", same), ("3. 1 in 10 changed", changed)):
            # Queries are recorded only where they are checked: recording the bulk INSERTs' text costs time.
            recording = label.startswith("2.")
            capture = CaptureQueriesContext(connection) if recording else contextlib.nullcontext([])
            with capture as queries, path.open("rb") as file:
                load = os.getloadavg()[0]
                db_cpu, cpu, started = _backend_cpu(backend), time.process_time(), time.perf_counter()
                report = import_customers_csv(file, source="bench", filename=path.name)
                seconds = time.perf_counter() - started
                cpu, db_cpu = time.process_time() - cpu, _backend_cpu(backend) - db_cpu
            if recording:
                writes = [q["sql"] for q in queries if q["sql"].startswith(CUSTOMER_WRITES)]
                assert not writes, f"the second import wrote to crm_customer: {writes[0][:200]}"
            rows.append(
                [label, report.rows, seconds, report.rows / seconds, cpu, db_cpu, load, report.created, report.updated,
                 report.unchanged, report.invalid]
            )  # fmt: skip

    print(f"CSV: {size_mb:.1f} MB, {len(header())} columns\n")
    headers = [
        *("run", "rows", "seconds", "rows/s", "app CPU s", "db CPU s", "load"),
        *("created", "updated", "unchanged", "invalid"),
    ]
    results.table("", headers, rows)
    n = args.customers
    assert rows[0][7] == n and rows[1][9] == n and rows[2][8] == n // 10, "unexpected counts"
    assert Customer.objects.count() == n
    peak = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmHWM:"))
    results.note(f"\npeak memory of this process: {int(peak.split()[1]) / 1024:.0f} MB (the file is read as it goes)")
    results.note("second import: no INSERT or UPDATE on crm_customer (checked)")
    for row in rows:
        per_100k = row[2] / n * 100_000
        results.target(
            f"{row[0]}: < {TARGET_SECONDS} s per 100,000 rows", f"{per_100k:.1f} s", per_100k < TARGET_SECONDS
        )
    results.save()


if __name__ == "__main__":
    main()
