"""The customer list on PostgreSQL as the customers grow: server time of its pages and searches.

    .venv/bin/python bench/customers.py [--runs N] [--sizes 50000,200000]

Drops and creates its own database, `npsapp_bench_customers` (set BENCH_CUSTOMERS_DATABASE_URL for
another; its name must contain 'bench'), migrates it and creates an agent and two account owners.
Then, for each size in turn, it fills `crm_customer` up to that many customers with `INSERT ...
SELECT generate_series` (first and last names drawn at random, so many customers share a name, as
people do; one in six double-barrelled; an email made of the name, a number and a common domain; an
external id; one in three with an account owner), runs VACUUM ANALYZE, and GETs
`/crm/customers/?...` through Django's test client as the agent: median and p95 of N runs after one
warm-up, in milliseconds, the number of queries, their own time in one run (SQL ms: the database's
share, which a busy machine distorts less than the total) and the caption's count. The pages: the
first, the second, the 100th; the searches: a customer's full name, an email, an external id, a word
that matches nobody, and a common last name (it finds a share of every customer, so it grows with
them: shown, not judged).

Targets: every judged row's p95 < 20 ms at each size, and flat: its median at the largest size
at most 1.5 × its median at the smallest.
"""

import argparse
import re
import sys
import time
import warnings

import psycopg2
from benchlib import (
    Report,
    database_name,
    database_url,
    django_setup,
    machine,
    page_timings,
    stats,
    table,
    use_database,
)
from dataset import FIRST_NAMES, _manage, _pick, _python_defaults, _recreate_database

use_database("BENCH_CUSTOMERS_DATABASE_URL", "npsapp_bench_customers")

TARGET_MS = 20
FLAT = 1.5
STATIC_WITHOUT_MANIFEST = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
# More names than the dataset's ten: a last name is shared by about 2 % of the customers.
SURNAMES = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
    "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
    "Morel", "Girard", "André", "Lefèvre", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez",
    "Legrand", "Garnier", "Faure", "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Nicolas",
    "Perrin", "Morin", "Mathieu", "Clément", "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin",
]  # fmt: skip
DOMAINS = ["gmail.com", "orange.fr", "free.fr", "hotmail.fr", "laposte.net", "sfr.fr", "yahoo.fr", "outlook.com"]
# (label, query string, judged): a common last name matches ~2 % of everyone, so it grows with them.
SCENARIOS = [
    ("first page", "", True),
    ("page 2", "page=2", True),
    ("page 100", "page=100", True),
    ("search a full name", "q={full_name}", True),
    ("search an email", "q={email}", True),
    ("search an external id", "q={external_id}", True),
    ("search matching nobody", "q=zzqxw", True),
    ("search a common last name", "q=Martin", False),
]


def build() -> None:
    if "bench" not in database_name():
        sys.exit(f"refusing to build in {database_name()!r}: the bench database's name must contain 'bench'")
    started = time.perf_counter()
    _recreate_database()
    _manage("migrate", "--noinput", "-v", "0")
    django_setup()
    from django.contrib.auth.models import Group, User

    User.objects.create_user("bench-agent", first_name="Agent").groups.add(Group.objects.get(name="agent"))
    for n in (1, 2):
        User.objects.create_user(f"bench-owner-{n}", first_name=f"Owner {n}")
    print(f"database created and migrated: {time.perf_counter() - started:.1f} s", flush=True)


def grow_to(size: int) -> tuple[int, float]:
    """Add customers up to `size` (ids continue), then VACUUM ANALYZE. Returns (added, seconds)."""
    started = time.perf_counter()
    # The columns this file does not name get the value the app would write (as the dataset does).
    _python_defaults(set_them=True)
    connection = psycopg2.connect(database_url())
    with connection, connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM crm_customer")
        first = cursor.fetchone()[0] + 1
        cursor.execute("SELECT min(id) FROM auth_user WHERE username LIKE 'bench-owner-%%'")
        owner = cursor.fetchone()[0]
        cursor.execute(
            f"""
            INSERT INTO crm_customer (public_id, external_id, email, first_name, last_name, phone, language,
                                      customer_since, newsletter_subscribed, total_spend, account_owner_id,
                                      created_at, updated_at)
            SELECT gen_random_uuid(), 'C' || lpad(g::text, 8, '0'),
                   translate(lower(f || '.' || l), 'éèêëàâçîïôöùûü', 'eeeeaaciioouuu') || g || '@' || {_pick(DOMAINS)},
                   f, l, '', 'fr', current_date - floor(random() * 8 * 365)::int, random() < 0.4,
                   round((random() * random() * 5000)::numeric, 2), CASE WHEN g % 3 = 0 THEN {owner} + g % 2 END,
                   now(), now()
            FROM (
                SELECT g, {_pick(FIRST_NAMES)} AS f,
                       CASE WHEN random() < 1.0 / 6 THEN {_pick(SURNAMES)} || '-' || {_pick(SURNAMES)}
                            ELSE {_pick(SURNAMES)} END AS l
                FROM generate_series({first}, {size}) g
            ) named
            """
        )
        added = cursor.rowcount
    _python_defaults(set_them=False)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) crm_customer")
    connection.close()
    return added, time.perf_counter() - started


def measure(runs: int, size: int) -> list[list]:
    from django.contrib.auth.models import User
    from django.test import Client

    from crm import selectors
    from crm.models import Customer

    client = Client()
    client.force_login(User.objects.get(username="bench-agent"))
    # A customer from the middle of the table, searched by email and external id (theirs alone) and
    # by full name, which others share: that search looks for the first of them by name, on page 1.
    someone = Customer.objects.order_by("id")[size // 2]
    full_name = f"{someone.first_name} {someone.last_name}"
    values = {"full_name": full_name, "email": someone.email.split("@")[0] + "@", "external_id": someone.external_id}
    looked_for = {"full_name": selectors.customer_search(query=full_name).first()}
    rows = []
    for label, query, judged in SCENARIOS:
        url = "/crm/customers/?" + query.format(**{k: v.replace(" ", "+") for k, v in values.items()})
        samples, queries, reply = page_timings(client, url, runs)
        html = reply.content.decode()
        caption = re.search(r"<caption>\s*(.*?)\s*</caption>", html, re.S)
        found = "" if caption is None else " ".join(caption.group(1).split())
        searched = re.match(r"q=\{(\w+)\}", query)
        if searched and str(looked_for.get(searched.group(1), someone).public_id) not in html:
            found += " (the customer searched for is missing)"
        median, p95, _max = stats(samples)
        sql_ms = sum(float(q["time"]) for q in queries) * 1000
        rows.append([size, label, found or "none", median, p95, len(queries), sql_ms, judged])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--sizes", default="50000,200000", help="customer counts, ascending, comma-separated")
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(","))
    build()
    warnings.filterwarnings("ignore", message="No directory at")
    from django.conf import settings
    from django.db import connection
    from django.test import override_settings

    override_settings(STORAGES={**settings.STORAGES, "staticfiles": STATIC_WITHOUT_MANIFEST}).enable()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE indexname IN "
            "('customer_by_name', 'crm_customer_search_trgm', 'crm_customer_external_id_trgm')"
        )
        print("customer list indexes present:", ", ".join(sorted(row[0] for row in cursor.fetchall())) or "none")
    report = Report("customers")
    rows, growth = [], []
    for size in sizes:
        added, seconds = grow_to(size)
        growth.append([size, added, seconds])
        print(f"{database_name()}: {size:,} customers ({added:,} added in {seconds:.1f} s); {machine()}", flush=True)
        rows += measure(args.runs, size)
    print(table(["customers", "added", "seconds"], growth), end="\n\n")
    shown = [[*row[:7], "yes" if row[7] else "no", "ok" if row[4] < TARGET_MS else "SLOW"] for row in rows]
    report.table(
        f"GET /crm/customers/, {args.runs} runs after 1 warm-up, ms",
        ["customers", "view", "caption", "median", "p95", "queries", "SQL ms", "judged", f"p95 < {TARGET_MS}"],
        shown,
    )
    for row in rows:
        if row[7]:
            report.target(
                f"{row[0]:,} customers, {row[1]}: p95 < {TARGET_MS} ms", f"{row[4]:.1f} ms", row[4] < TARGET_MS
            )
    smallest, largest = sizes[0], sizes[-1]
    if largest > smallest:
        by = {(row[0], row[1]): row for row in rows}
        for label, _query, judged in SCENARIOS:
            if not judged:
                continue
            ratio = by[(largest, label)][3] / by[(smallest, label)][3]
            report.target(
                f"{label}: flat, median at {largest:,} ≤ {FLAT} × at {smallest:,}", f"{ratio:.2f} ×", ratio <= FLAT
            )
    missing = [f"{row[0]:,} {row[1]}" for row in rows if "missing" in row[2]]
    report.target("every search finds the customer searched for", ", ".join(missing) or "all found", not missing)
    report.save()


if __name__ == "__main__":
    main()
