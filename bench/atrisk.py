"""The at-risk list on PostgreSQL with 50,000 customers: the page from the stored flags, and their refreshes.

    .venv/bin/python bench/atrisk.py [--runs N] [--customers N] [--rebuild]

Builds its own database, `npsapp_bench_atrisk` (set BENCH_ATRISK_DATABASE_URL for another), once:
a brand and a survey, a team with an agent, a manager, N customers, 3 purchases each on average
over eight years (customers who buy often and recently, and customers who stopped), about 1.8
behaviour events each over two years (site visits, abandoned carts, newsletter unsubscribes),
2 answers each over three years, in the order they came in (a quarter of them detractors),
with `INSERT ... SELECT generate_series`, then VACUUM ANALYZE and the first full refresh of the
flags. Later runs reuse it (`--rebuild` starts again; it always runs `migrate` first).

Then, through Django's test client, as a manager (every answer) and as an agent (their team's
answers only): `GET /crm/at-risk/` for the first page, each reason's filter and the last page,
median and p95 of N runs after one warm-up, the SQL time of one more run, and the number of queries.
Target: < 100 ms.
Then the refreshes: 1,000 new purchases for 1,000 customers through the CRM service (with the
refresh the hooks run once the transaction commits), `risk_refresh` of those 1,000 customers
alone (target < 2 s), and `risk_refresh_all` (the nightly beat task). Each run adds 1,000
purchases per run of the refresh to the database.
"""

import argparse
import re
import time
import warnings

import psycopg2
from benchlib import (
    Report,
    Steps,
    database_name,
    database_url,
    django_setup,
    machine,
    page_timings,
    stats,
    table,
    use_database,
)
from dataset import FIRST_NAMES, LAST_NAMES, _manage, _pick, _recreate_database, load_bulk_sql

use_database("BENCH_ATRISK_DATABASE_URL", "npsapp_bench_atrisk")

PAGE_TARGET_MS = 100
REFRESH_TARGET_S = 2.0
NEW_PURCHASES = 1000
STATIC_WITHOUT_MANIFEST = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}


def _present(customers: int) -> bool:
    try:
        connection = psycopg2.connect(database_url())
    except psycopg2.OperationalError:
        return False
    with connection, connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('customerview_customerrisk')")
        if cursor.fetchone()[0] is None:
            return False
        cursor.execute("SELECT (SELECT count(*) FROM crm_customer), (SELECT count(*) FROM customerview_customerrisk)")
        count, flagged = cursor.fetchone()
    connection.close()
    return count >= customers and flagged >= customers


def _people_and_survey() -> None:
    """The few rows, through the ORM: a team with its agent, a manager, a brand and the team's survey."""
    from django.contrib.auth.models import Group, User

    from followups.models import Team
    from surveys.models import Brand, Survey

    team = Team.objects.create(name="Team 1")
    agent = User.objects.create_user("bench-agent", first_name="Agent")
    agent.groups.add(Group.objects.get(name="agent"))
    team.members.add(agent)
    User.objects.create_user("bench-manager", first_name="Manager").groups.add(Group.objects.get(name="manager"))
    brand = Brand.objects.create(name="Maison Bench")
    Survey.objects.create(brand=brand, name="After purchase", team=team)
    Survey.objects.create(brand=brand, name="Customer service")


def _bulk_sql(customers: int) -> list[tuple[str, str]]:
    purchases, events, answers = customers * 3, customers * 18 // 10, customers * 2
    return [
        (
            f"{customers:,} customers",
            f"""
            INSERT INTO crm_customer (id, public_id, external_id, email, first_name, last_name, phone, language,
                                      customer_since, newsletter_subscribed, total_spend, created_at)
            SELECT g, gen_random_uuid(), 'C' || lpad(g::text, 7, '0'), 'customer' || g || '@example.com',
                   {_pick(FIRST_NAMES)}, {_pick(LAST_NAMES)}, '', 'fr',
                   current_date - floor(random() * 8 * 365)::int, random() < 0.4, 0, now()
            FROM generate_series(1, {customers}) g;
            SELECT setval(pg_get_serial_sequence('crm_customer', 'id'), {customers});
            """,
        ),
        (
            f"{purchases:,} purchases",
            # A third of the customers buy every few weeks until lately; the others' purchases are
            # spread over eight years (many of them stopped buying: the "inactive" rule's customers).
            f"""
            INSERT INTO crm_purchase (customer_id, purchased_at, amount, currency, product_category, channel)
            SELECT c, CASE WHEN c % 3 = 0 THEN now() - random() * interval '120 days'
                           ELSE now() - random() * interval '8 years' END,
                   round((15 + random() * 985)::numeric, 2), 'EUR',
                   {_pick(["Furniture", "Lighting", "Textiles", "Kitchen", "Garden"])}, {_pick(["web", "store"])}
            FROM (SELECT 1 + floor(random() * {customers})::int AS c FROM generate_series(1, {purchases}) g) s;
            UPDATE crm_customer c SET total_spend = s.total
            FROM (SELECT customer_id, sum(amount) AS total FROM crm_purchase GROUP BY customer_id) s
            WHERE s.customer_id = c.id;
            """,
        ),
        (
            f"{events:,} behaviour events",
            f"""
            INSERT INTO crm_customerevent (customer_id, kind, occurred_at, details)
            SELECT 1 + floor(random() * {customers})::int,
                   CASE WHEN r < 0.6 THEN 'site_visit' WHEN r < 0.85 THEN 'cart_abandoned'
                        ELSE 'newsletter_unsubscribed' END,
                   now() - random() * interval '2 years', '{{}}'
            FROM (SELECT random() AS r FROM generate_series(1, {events}) g) s;
            """,
        ),
        (
            f"{answers:,} answers",
            f"""
            INSERT INTO surveys_response (id, public_id, survey_id, customer_id, channel, score, comment, language,
                                          criteria, submitted_at)
            SELECT g, gen_random_uuid(), (SELECT min(id) FROM surveys_survey) + (random() < 0.5)::int,
                   1 + floor(random() * {customers})::int, 'email',
                   CASE WHEN random() < 0.25 THEN floor(random() * 7)::int ELSE 7 + floor(random() * 4)::int END,
                   '', 'fr', '[]',
                   -- In the order they come in, as a live table holds them: spread evenly over three years.
                   now() - interval '3 years' + (g - random()) / {answers} * interval '3 years'
            FROM generate_series(1, {answers}) g;
            SELECT setval(pg_get_serial_sequence('surveys_response', 'id'), {answers});
            """,
        ),
    ]


def build(customers: int) -> None:
    step = Steps()
    step("create database", _recreate_database)
    step("migrate", lambda: _manage("migrate", "--noinput", "-v", "0"))
    django_setup()
    step("team, users, surveys", _people_and_survey)
    connection = load_bulk_sql(step, _bulk_sql(customers))
    from customerview.atrisk_services import risk_refresh_all

    step("first full refresh of the flags", risk_refresh_all)
    with connection.cursor() as cursor:
        step("ANALYZE the flags", lambda: cursor.execute("ANALYZE customerview_customerrisk"))
    connection.close()
    print(table(["step", "seconds"], step.rows()), end="\n\n")


def measure_page(runs: int, report: Report) -> None:
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.test import Client, override_settings

    from customerview import atrisk
    from customerview.models import CustomerRisk

    override_settings(STORAGES={**settings.STORAGES, "staticfiles": STATIC_WITHOUT_MANIFEST}).enable()
    flagged = CustomerRisk.objects.filter(at_risk=True, customer__erased_at__isnull=True).count()
    by_reason = {
        code: CustomerRisk.objects.filter(**{code: True}).count() for code in ("inactive", "cart_abandoned")
    } | {code: CustomerRisk.objects.filter(**{code: True}).count() for code in ("unsubscribed", "detractor")}
    print(
        f"{database_name()}: {CustomerRisk.objects.count():,} customers, {flagged:,} at risk "
        f"({', '.join(f'{code} {n:,}' for code, n in by_reason.items())}); "
        f"{runs} runs after 1 warm-up; times in ms; {machine()}\n"
    )
    last_page = max(1, -(-flagged // 25))
    scenarios = [("first page", "")]
    scenarios += [(f"reason {code}", f"reason={code}") for code, _label in atrisk.REASONS]
    scenarios += [(f"last page ({last_page})", f"page={last_page}")]
    scenarios += [("inactive, last page", f"reason=inactive&page={max(1, -(-by_reason['inactive'] // 25))}")]
    clients = {}
    for who, username in (("manager", "bench-manager"), ("agent", "bench-agent")):
        clients[who] = Client()
        clients[who].force_login(User.objects.get(username=username))
    rows, slow = [], []
    for who, client in clients.items():
        for label, query in scenarios:
            url = f"/crm/at-risk/?{query}"
            samples, queries, reply = page_timings(client, url, runs)
            median, p95, _max = stats(samples)
            html = reply.content.decode()
            counted = re.search(r"([\d,]+) customers? at risk\.", html)
            shown = html.count('<th scope="row" class="nps-customer">')
            met = p95 < PAGE_TARGET_MS
            db_ms = sum(float(q["time"]) for q in queries) * 1000
            rows.append(
                [who, label, counted.group(1) if counted else "0", shown, median, p95, db_ms, len(queries), met]
            )
            if not met:
                worst = max(queries, key=lambda q: float(q["time"]))
                slow.append(
                    f"{who} {label}: {float(worst['time']) * 1000:.0f} ms {' '.join(worst['sql'].split())[:300]}"
                )
    report.table(
        "GET /crm/at-risk/",
        ["as", "view", "flagged", "rows", "median", "p95", "of which SQL", "queries", f"p95 < {PAGE_TARGET_MS}"],
        [[*row[:-1], "ok" if row[-1] else "SLOW"] for row in rows],
    )
    for line in slow:
        report.note(line)
    for row in rows:
        report.target(f"{row[0]}, {row[1]}: p95 < {PAGE_TARGET_MS} ms", f"{row[5]:.1f} ms", row[-1])


def measure_refresh(runs: int, report: Report) -> None:
    import random

    from django.db import transaction
    from django.utils import timezone

    from crm.models import Customer
    from crm.services.activity import purchases_create_many
    from customerview.atrisk_services import risk_refresh, risk_refresh_all
    from customerview.models import CustomerRisk

    rows = []
    ids = list(Customer.objects.order_by().values_list("id", "external_id"))
    rng = random.Random(7)
    timings = {"purchases": [], "refresh": [], "full": []}
    for run in range(runs):
        chosen = rng.sample(ids, NEW_PURCHASES)
        now = timezone.now()
        purchases = [
            {"customer_external_id": external_id, "purchased_at": now.isoformat(), "amount": "42.00"}
            for _id, external_id in chosen
        ]
        started = time.perf_counter()
        with transaction.atomic():
            purchases_create_many(rows=purchases)
        # The hooks refreshed the 1,000 customers once the transaction committed.
        timings["purchases"].append(time.perf_counter() - started)
        refreshed = CustomerRisk.objects.filter(customer_id__in=[i for i, _e in chosen], computed_at__gte=now).count()
        assert refreshed == NEW_PURCHASES, f"run {run}: {refreshed} customers refreshed, not {NEW_PURCHASES}"
        started = time.perf_counter()
        risk_refresh(customer_ids=[i for i, _e in chosen])
        timings["refresh"].append(time.perf_counter() - started)
    for _ in range(max(1, runs // 3)):
        started = time.perf_counter()
        risk_refresh_all()
        timings["full"].append(time.perf_counter() - started)
    labels = {
        "purchases": f"{NEW_PURCHASES:,} purchases through the CRM service, with the refresh on commit",
        "refresh": f"risk_refresh of the {NEW_PURCHASES:,} customers",
        "full": f"risk_refresh_all ({CustomerRisk.objects.count():,} customers)",
    }
    for key, samples in timings.items():
        median, p95, worst = stats([s * 1000 for s in samples])
        rows.append([labels[key], len(samples), median / 1000, p95 / 1000, worst / 1000])
    report.table("Refreshes (seconds)", ["what", "runs", "median", "p95", "max"], rows)
    p95 = rows[1][3]
    report.target(
        f"risk_refresh after {NEW_PURCHASES:,} new purchases: p95 < {REFRESH_TARGET_S} s",
        f"{p95:.2f} s",
        p95 < REFRESH_TARGET_S,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--rebuild", action="store_true", help="drop and rebuild the database")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message="No directory at")
    if args.rebuild or not _present(args.customers):
        build(args.customers)
    else:
        _manage("migrate", "--noinput", "-v", "0")
        django_setup()
    report = Report("atrisk")
    measure_page(args.runs, report)
    print()
    measure_refresh(args.runs, report)
    report.save()


if __name__ == "__main__":
    main()
