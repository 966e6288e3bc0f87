"""A campaign to 10,000 customers: invitations created in bulk, then emailed in batches.

    .venv/bin/python bench/invitations.py [--customers N]
    BENCH_INVITATIONS_DATABASE_URL=postgres://postgres@127.0.0.1:5432/npsapp_bench_invitations \
        .venv/bin/python bench/invitations.py

Runs in its own database: a temporary SQLite file by default, or the PostgreSQL database named
by BENCH_INVITATIONS_DATABASE_URL (never the app's DATABASE_URL; dropped and created again each
run; its name must contain "bench"). The table is also written to bench/results/invitations.json.
Celery is eager and email goes to the locmem backend, so the figures are the app's own work
(queries, template rendering, MIME building), not a mail server's.

Timed: (1) `campaign_create` (its checks count the audience); (2) `campaign_start`: the claim
and the bulk creation of the invitations and skips; (3) every send batch through
`invitations_send_batch`, as the Celery task runs it; (4) the whole path again for a second
campaign (fatigue off), through the beat task with eager Celery. Target: (2) + (3) < 60 s.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 60


def _setup(database_url: str, sqlite_path: str) -> None:
    os.environ.pop("CELERY_BROKER_URL", None)  # eager Celery
    os.environ.update(
        DJANGO_SETTINGS_MODULE="npsapp.settings",
        DEBUG="false",
        # DEBUG off refuses to start without a key; this one signs nothing that outlives the bench.
        SECRET_KEY=os.environ.get("SECRET_KEY") or "bench-only-key",
        LOG_LEVEL="WARNING",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ["SQLITE_PATH"] = sqlite_path
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _recreate_postgres(database_url: str) -> None:
    import psycopg2

    name = urlsplit(database_url).path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"refusing to drop {name!r}: the bench database's name must contain 'bench'")
    connection = psycopg2.connect(urlunsplit(urlsplit(database_url)._replace(path="/postgres")))
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()


def _timed(fn):
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=10_000)
    args = parser.parse_args()

    database_url = os.environ.get("BENCH_INVITATIONS_DATABASE_URL", "")
    os.environ.pop("SQLITE_PATH", None)
    workdir = tempfile.TemporaryDirectory(prefix="npsapp-bench-invitations-")
    if database_url:
        _recreate_postgres(database_url)
    _setup(database_url, str(Path(workdir.name) / "bench.sqlite3"))

    from django.core import mail
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    sys.path.insert(0, str(ROOT / "bench"))
    from benchlib import Report, machine

    from campaigns import services, tasks
    from campaigns.models import Campaign
    from crm.models import Customer
    from surveys.choices import DeliveryStatus
    from surveys.models import Brand, Invitation, Survey

    call_command("migrate", "--noinput", verbosity=0)
    report = Report("invitations")
    print(f"{connection.vendor} ({connection.settings_dict['NAME']}), {machine()}")

    n = args.customers
    brand = Brand.objects.create(name="Maison Bench")
    survey = Survey.objects.create(brand=brand, name="Post-purchase")
    rows = []

    def create_customers():
        Customer.objects.bulk_create(
            [
                Customer(
                    external_id=f"C{i:07d}",
                    email=f"customer{i}@example.com",
                    first_name="Camille",
                    last_name=f"Martin{i}",
                    language="fr" if i % 3 else "en",
                    region="Bretagne" if i % 2 else "Alsace",
                )
                for i in range(n)
            ],
            batch_size=2000,
        )

    _none, seconds = _timed(create_customers)
    rows.append(["setup: customers (bulk_create)", n, seconds])
    print("  done: {} ({:,} rows, {:.1f} s)".format(*rows[-1]), flush=True)

    campaign, seconds = _timed(
        lambda: services.campaign_create(name="Bench", survey=survey, audience={}, send_at=timezone.now())
    )
    rows.append(["campaign_create (audience checks)", n, seconds])
    print("  done: {} ({:,} rows, {:.1f} s)".format(*rows[-1]), flush=True)

    batches, create_seconds = _timed(lambda: services.campaign_start(campaign_id=campaign.id, publish=False))
    invited = sum(len(batch) for batch in batches)
    rows.append(["(2) create invitations (claim + bulk)", invited, create_seconds])
    print("  done: {} ({:,} rows, {:.1f} s)".format(*rows[-1]), flush=True)

    mail.outbox = []

    def send_all():
        for batch in batches:
            services.invitations_send_batch(invitation_ids=batch)

    _none, send_seconds = _timed(send_all)
    sent = Invitation.objects.filter(campaign=campaign, delivery_status=DeliveryStatus.SENT).count()
    emails = len(mail.outbox)
    rows.append([f"(3) send in {len(batches)} batches of {services.BATCH_SIZE}", sent, send_seconds])
    print("  done: {} ({:,} rows, {:.1f} s)".format(*rows[-1]), flush=True)
    assert sent == emails == n, (sent, emails, n)

    # The whole path once more, as production runs it: the beat task, eager tasks on commit.
    mail.outbox = []
    second = Survey.objects.create(brand=brand, name="Relationship", contact_fatigue_days=0)
    Campaign.objects.create(name="Bench 2", survey=second, audience={}, send_at=timezone.now())
    _started, end_to_end = _timed(lambda: tasks.campaigns_start_due_task.apply())
    rows.append(["(4) beat task end to end (eager Celery)", len(mail.outbox), end_to_end])
    print("  done: {} ({:,} rows, {:.1f} s)".format(*rows[-1]), flush=True)

    report.table(
        "",
        ["step", "rows", "seconds", "rows/s"],
        [[label, count, secs, count / secs if secs else 0.0] for label, count, secs in rows],
    )
    total = create_seconds + send_seconds
    report.target(f"create + send {n:,} invitations < {TARGET_SECONDS} s", f"{total:.1f} s", total < TARGET_SECONDS)
    report.save()
    workdir.cleanup()


if __name__ == "__main__":
    main()
