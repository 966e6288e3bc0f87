"""Build the bench dataset in its own PostgreSQL database, fast, with PostgreSQL itself.

1 brand, 2 surveys, 50,000 customers, ~150,000 purchases, 1,000,000 invitations and
responses over the last 3 years (ids in time order, as in real life), a case for every
detractor, then VACUUM ANALYZE and the daily roll-up rebuilt by `manage.py rebuild_nps_rollup`.

    .venv/bin/python bench/dataset.py [--rebuild] [--responses N] [--customers N]

Skips the build (but still migrates) when the database already holds the responses, unless --rebuild.
"""

import argparse
import subprocess
import sys

import psycopg2
from benchlib import ROOT, Report, Steps, admin_url, bench_env, database_name, database_url, django_setup

REGIONS = [
    "Île-de-France",
    "Auvergne-Rhône-Alpes",
    "Nouvelle-Aquitaine",
    "Occitanie",
    "Hauts-de-France",
    "Provence-Alpes-Côte d'Azur",
    "Bretagne",
    "Grand Est",
]
FIRST_NAMES = ["Camille", "Louis", "Léa", "Hugo", "Chloé", "Jules", "Manon", "Lucas", "Inès", "Nathan", "Zoé", "Adam"]
LAST_NAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau"]
BAD = ["Delivery was late", "Livraison en retard", "Damaged on arrival", "Service client injoignable", "Too expensive"]
MEH = ["OK overall", "Correct, sans plus", "Delivery could be faster", "Bon produit mais cher"]
GOOD = ["Great quality!", "Très satisfait", "Fast delivery, thanks", "Super service client", "Love the lamp"]
FILLED_TABLES = (
    "surveys_brand",
    "surveys_survey",
    "crm_customer",
    "crm_purchase",
    "surveys_invitation",
    "surveys_response",
    "followups_ticket",
    "surveys_theme",
    "surveys_responsetheme",
    "crm_customerevent",
)
# Themes as an admin would declare them, and the comment phrases each one's keyword rule catches.
THEMES = [
    ("Delivery", "Livraison", ["%delivery%", "%livraison%"]),
    ("Price", "Prix", ["%expensive%", "%cher%"]),
    ("Customer service", "Service client", ["%service client%"]),
    ("Damage", "Dommages", ["%damaged%"]),
    ("Product quality", "Qualité du produit", ["%quality%", "%bon produit%", "%lamp%"]),
]
# Cumulative shares of scores 0..9 (10 takes the rest): 20 % detractors, 35 % passives, 45 % promoters.
SCORE_CUTS = [0.02, 0.03, 0.045, 0.065, 0.09, 0.13, 0.20, 0.35, 0.55, 0.77]


def _array(values) -> str:
    quoted = (v.replace("'", "''") for v in values)
    return "ARRAY[" + ",".join(f"'{v}'" for v in quoted) + "]"


def _pick(values) -> str:
    """A uniformly random element, drawn per row."""
    return f"({_array(values)})[1 + floor(random() * {len(values)})::int]"


def steps(customers: int, responses: int) -> list[tuple[str, str]]:
    purchases = customers * 3
    return [
        (
            "brand, surveys",
            """
            INSERT INTO surveys_brand (name, colour) VALUES ('Maison Bench', '#0d6efd');
            INSERT INTO surveys_survey (public_id, brand_id, name, question, comment_prompt, first_contact_hours,
                                        is_anonymous, is_active, created_at)
            SELECT gen_random_uuid(), b.id, s.name, '', '', 48, false, true, now() - interval '4 years'
            FROM surveys_brand b, (VALUES ('After purchase'), ('Customer service')) AS s(name);
            """,
        ),
        (
            f"{customers:,} customers",
            f"""
            INSERT INTO crm_customer (id, public_id, external_id, email, first_name, last_name, phone, language,
                                      customer_since, newsletter_subscribed, birth_year, age_band, gender, region,
                                      area, plan, created_at)
            SELECT g, gen_random_uuid(), 'C' || lpad(g::text, 7, '0'), 'customer' || g || '@example.com',
                   {_pick(FIRST_NAMES)}, {_pick(LAST_NAMES)}, '',
                   CASE WHEN r1 < 0.7 THEN 'fr' WHEN r1 < 0.95 THEN 'en' ELSE '' END,
                   since, r2 < 0.4,
                   extract(year FROM current_date)::int - age,
                   CASE WHEN age < 25 THEN '18-24' WHEN age < 35 THEN '25-34' WHEN age < 50 THEN '35-49'
                        WHEN age < 65 THEN '50-64' ELSE '65+' END,
                   CASE WHEN r4 < 0.48 THEN 'female' WHEN r4 < 0.94 THEN 'male' WHEN r4 < 0.97 THEN 'other'
                        ELSE 'undisclosed' END,
                   {_pick(REGIONS)}, CASE WHEN r3 < 0.7 THEN 'urban' ELSE 'rural' END,
                   CASE WHEN r5 < 0.5 THEN 'basic' WHEN r5 < 0.85 THEN 'standard' ELSE 'premium' END,
                   since::timestamptz
            FROM (SELECT g, random() r1, random() r2, random() r3, random() r4, random() r5,
                         18 + floor(power(random(), 1.3) * 68)::int AS age,
                         current_date - floor(random() * 8 * 365)::int AS since
                  FROM generate_series(1, {customers}) g) s;
            """,
        ),
        (
            f"{purchases:,} purchases",
            f"""
            INSERT INTO crm_purchase (customer_id, purchased_at, amount, currency, product_category, channel)
            SELECT 1 + floor(random() * {customers})::int, now() - random() * interval '8 years',
                   round((15 + random() * 985)::numeric, 2), 'EUR',
                   {_pick(["Furniture", "Lighting", "Textiles", "Kitchen", "Garden"])}, {_pick(["web", "store"])}
            FROM generate_series(1, {purchases}) g;
            UPDATE crm_customer c SET total_spend = s.total
            FROM (SELECT customer_id, sum(amount) AS total FROM crm_purchase GROUP BY customer_id) s
            WHERE s.customer_id = c.id;
            """,
        ),
        (
            f"{responses:,} answers planned",
            f"""
            CREATE TEMP TABLE bench_plan AS
            SELECT g AS id, 1 + floor(random() * {customers})::int AS customer_id,
                   (SELECT min(id) FROM surveys_survey) + (random() < 0.3)::int AS survey_id,
                   CASE WHEN random() < 0.9 THEN 'email' ELSE 'public_form' END AS channel,
                   submitted_at,
                   -- Scores improve a little over the three years (NPS from about +20 to +30).
                   width_bucket(least(greatest(random() + 0.06 * (g::float / {responses} - 0.5), 0), 0.999999),
                                ARRAY{SCORE_CUTS}::float8[]) AS score,
                   random() < 0.4 AS commented
            -- Spread evenly over the three years, in id order; the span in days, not months.
            FROM (SELECT g, first + (g - random()) / {responses} * (now() - first) AS submitted_at
                  FROM generate_series(1, {responses}) g, (SELECT now() - interval '3 years' AS first) f) s;
            """,
        ),
        (
            f"{responses:,} invitations",
            """
            INSERT INTO surveys_invitation (id, survey_id, customer_id, token, channel, created_at, expires_at)
            SELECT id, survey_id, customer_id, 'bench-' || id || '-' || md5(random()::text), channel, sent,
                   sent + interval '30 days'
            FROM (SELECT *, submitted_at - random() * interval '2 days' AS sent FROM bench_plan) p;
            """,
        ),
        (
            f"{responses:,} responses",
            f"""
            INSERT INTO surveys_response (id, public_id, survey_id, invitation_id, customer_id, channel, score,
                                          comment, language, submitted_at)
            SELECT p.id, gen_random_uuid(), p.survey_id, p.id, p.customer_id, p.channel, p.score,
                   CASE WHEN NOT p.commented THEN ''
                        WHEN p.score <= 6 THEN {_pick(BAD)}
                        WHEN p.score <= 8 THEN {_pick(MEH)}
                        ELSE {_pick(GOOD)} END,
                   c.language, p.submitted_at
            FROM bench_plan p JOIN crm_customer c ON c.id = p.customer_id
            ORDER BY p.id;
            """,
        ),
        (
            "cases for detractors",
            """
            INSERT INTO followups_ticket (public_id, response_id, survey_id, customer_id, status, priority, opened_at,
                                          first_contact_due_at, first_contacted_at, contact_channel, resolved_at,
                                          outcome, minutes_to_first_contact, first_contact_met, minutes_to_resolution,
                                          resurvey_score)
            SELECT gen_random_uuid(), id, survey_id, customer_id, status, CASE WHEN score <= 3 THEN 'high'
                   ELSE 'normal' END, submitted_at + interval '5 seconds', submitted_at + interval '48 hours',
                   contacted, CASE WHEN contacted IS NULL THEN '' WHEN r2 < 0.6 THEN 'email' ELSE 'phone' END,
                   CASE WHEN status IN ('resolved', 'closed') THEN least(contacted + r3 * interval '7 days', now())
                   END,
                   CASE WHEN status NOT IN ('resolved', 'closed') THEN '' WHEN r3 < 0.4 THEN 'recovered'
                        WHEN r3 < 0.7 THEN 'not_recoverable' ELSE 'no_reply' END,
                   -- The metrics the services freeze when they happen.
                   floor(extract(epoch FROM contacted - submitted_at) / 60)::int,
                   contacted <= submitted_at + interval '48 hours',
                   CASE WHEN status IN ('resolved', 'closed')
                        THEN floor(extract(epoch FROM least(contacted + r3 * interval '7 days', now())
                                                    - submitted_at) / 60)::int END,
                   -- Half the resolved cases were surveyed again; the recovered ones answer better.
                   CASE WHEN status IN ('resolved', 'closed') AND r2 < 0.5
                        THEN CASE WHEN r3 < 0.4 THEN 7 + floor(r1 * 4)::int ELSE floor(r1 * 9)::int END END
            FROM (SELECT *, CASE WHEN status = 'new' THEN NULL
                                 ELSE least(submitted_at + power(r1, 1.5) * interval '72 hours', now()) END AS contacted
                  FROM (SELECT r.*,
                               CASE WHEN r.submitted_at < now() - interval '14 days'
                                    THEN CASE WHEN r1 < 0.85 THEN 'resolved' ELSE 'closed' END
                                    WHEN r2 < 0.4 THEN 'new' WHEN r2 < 0.8 THEN 'contacted' ELSE 'waiting' END AS status
                        FROM (SELECT *, random() r1, random() r2, random() r3 FROM surveys_response
                              WHERE score <= 6) r) s) t;
            """,
        ),
        (
            "themes and their keyword tags",
            f"""
            INSERT INTO surveys_theme (name, name_fr, keywords_en, keywords_fr, is_active)
            VALUES {", ".join(f"('{en}', '{fr}', '{en.lower()}', '{fr.lower()}', true)" for en, fr, _ in THEMES)};
            INSERT INTO surveys_responsetheme (response_id, theme_id, source, created_at)
            SELECT r.id, t.id, 'rule', r.submitted_at
            FROM surveys_response r
            JOIN (VALUES {", ".join(f"('{en}', ARRAY{patterns})" for en, _, patterns in THEMES)}) AS k(name, patterns)
              ON r.comment ILIKE ANY (k.patterns)
            JOIN surveys_theme t ON t.name = k.name
            WHERE r.comment <> '';
            """,
        ),
        (
            "customer events",
            f"""
            -- Site visits for most customers; an abandoned cart for 5 %, a newsletter unsubscribe for 3 %
            -- (two of the at-risk rules read these). Each draw names c, so it is made per customer.
            INSERT INTO crm_customerevent (customer_id, kind, occurred_at, details)
            SELECT c, kind, now() - random() * span, '{{}}'::jsonb
            FROM generate_series(1, {customers}) c
            CROSS JOIN LATERAL (
                SELECT 'site_visit' AS kind, interval '1 year' AS span WHERE random() < 0.8 AND c > 0
                UNION ALL SELECT 'site_visit', interval '90 days' WHERE random() < 0.5 AND c > 0
                UNION ALL SELECT 'cart_abandoned', interval '30 days' WHERE random() < 0.05 AND c > 0
                UNION ALL SELECT 'newsletter_unsubscribed', interval '60 days' WHERE random() < 0.03 AND c > 0
            ) e;
            """,
        ),
        (
            "id sequences",
            """
            SELECT setval(pg_get_serial_sequence('crm_customer', 'id'), (SELECT max(id) FROM crm_customer));
            SELECT setval(pg_get_serial_sequence('surveys_invitation', 'id'), (SELECT max(id) FROM surveys_invitation));
            SELECT setval(pg_get_serial_sequence('surveys_response', 'id'), (SELECT max(id) FROM surveys_response));
            SELECT setval(pg_get_serial_sequence('surveys_theme', 'id'), (SELECT max(id) FROM surveys_theme));
            """,
        ),
    ]


def _python_defaults(*, set_them: bool) -> None:
    """Give the filled tables' NOT NULL columns the models' Python-only defaults as database
    defaults (as `migrate` does while adding a column), or drop them again, so that columns
    added by work in progress get the value the app would write without this file naming them."""
    from django.apps import apps
    from django.db import connection
    from django.db.models import NOT_PROVIDED

    with connection.schema_editor() as editor:
        for model in apps.get_models():
            if model._meta.db_table not in FILLED_TABLES:
                continue
            for field in model._meta.local_concrete_fields:
                if field.null or field.primary_key or field.unique or field.db_default is not NOT_PROVIDED:
                    continue
                default = editor.effective_default(field)
                if default is None:
                    continue
                alter = f"ALTER TABLE {editor.quote_name(model._meta.db_table)} ALTER {editor.quote_name(field.column)}"
                if set_them:
                    editor.execute(f"{alter} SET DEFAULT %s", [default])
                else:
                    editor.execute(f"{alter} DROP DEFAULT")


def _present(responses: int) -> bool:
    try:
        connection = psycopg2.connect(database_url())
    except psycopg2.OperationalError:
        return False
    with connection, connection.cursor() as cursor:
        # The roll-up's table: reporting_dailynps since it moved from surveys (surveys 0018).
        cursor.execute(
            "SELECT to_regclass('surveys_response'), "
            "coalesce(to_regclass('reporting_dailynps'), to_regclass('surveys_dailynps'))::text"
        )
        response_table, rollup_table = cursor.fetchone()
        if not (response_table and rollup_table):
            return False
        cursor.execute(f"SELECT (SELECT count(*) FROM surveys_response), (SELECT count(*) FROM {rollup_table})")
        count, rollup_rows = cursor.fetchone()
    connection.close()
    return count >= responses and rollup_rows > 0


def _recreate_database() -> None:
    name = database_name()
    if "bench" not in name:
        sys.exit(f"refusing to drop {name!r}: the bench database's name must contain 'bench'")
    connection = psycopg2.connect(admin_url())
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()


def load_bulk_sql(step, bulk_sql: list[tuple[str, str]], *, work_mem: str = "") -> "psycopg2.extensions.connection":
    """Run each (label, SQL) step in one transaction with the app's column defaults in the
    database, then VACUUM ANALYZE. Returns the connection, in autocommit, for what follows.

    The rows are consistent by construction: the per-row deferred foreign-key triggers are
    skipped (superuser only), which would otherwise double the build time at commit. VACUUM too,
    so every run starts from the steady state autovacuum would reach (visibility map set)."""
    step("database defaults", lambda: _python_defaults(set_them=True))
    connection = psycopg2.connect(database_url())
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica; SET synchronous_commit = off")
        if work_mem:
            cursor.execute("SET work_mem = %s", [work_mem])
        for label, sql in bulk_sql:
            step(label, lambda sql=sql: cursor.execute(sql))
        step("commit", connection.commit)
    _python_defaults(set_them=False)
    connection.autocommit = True
    with connection.cursor() as cursor:
        step("VACUUM ANALYZE", lambda: cursor.execute("VACUUM (ANALYZE)"))
    return connection


def _manage(*args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=bench_env(), cwd=ROOT, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rebuild", action="store_true", help="drop and rebuild the database")
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=50_000)
    args = parser.parse_args()

    if not args.rebuild and _present(args.responses):
        # Still brought up to the code's schema: migrate fills the columns it adds.
        _manage("migrate", "--noinput", "-v", "0")
        print(f"{database_name()}: dataset already present and migrated (use --rebuild to start again).")
        return
    django_setup()
    step = Steps()
    step("create database", _recreate_database)
    step("migrate", lambda: _manage("migrate", "--noinput", "-v", "0"))
    connection = load_bulk_sql(step, steps(args.customers, args.responses), work_mem="64MB")
    step("rebuild_nps_rollup", lambda: _manage("rebuild_nps_rollup"))

    with connection.cursor() as cursor:
        counts = []
        for name in (
            "crm_customer",
            "crm_purchase",
            "surveys_invitation",
            "surveys_response",
            "followups_ticket",
            "surveys_responsetheme",
            "crm_customerevent",
            "reporting_dailynps",
        ):
            cursor.execute(f"SELECT count(*) FROM {name}")
            counts.append([name, cursor.fetchone()[0]])
        cursor.execute(
            "SELECT round(100.0 * (count(*) FILTER (WHERE score >= 9) - count(*) FILTER (WHERE score <= 6))"
            " / count(*), 1), min(submitted_at)::date, max(submitted_at)::date,"
            " round(100.0 * count(*) FILTER (WHERE comment <> '') / count(*), 1),"
            " round(100.0 * count(*) FILTER (WHERE channel = 'public_form') / count(*), 1) FROM surveys_response"
        )
        nps, first, last, commented, public = cursor.fetchone()
    connection.close()
    report = Report("dataset")
    print()
    report.table("", ["step", "seconds"], step.rows())
    print()
    report.table("", ["table", "rows"], counts)
    report.note(f"\nresponses {first} .. {last}; NPS {nps:+}; {commented} % commented; {public} % public_form")
    report.target("build < 10 minutes on 2 cores", f"{step.total:.0f} s", step.total < 600)
    report.save()


if __name__ == "__main__":
    main()
