"""Scale-out on PostgreSQL's own engines: a streaming replica for the reports, PgBouncer in front.

The test builds its own small PostgreSQL pair with Debian's binaries (a primary, and a hot standby
made from it by pg_basebackup, streaming), and its own PgBouncer in transaction pooling mode in
front of the primary; it stops all three at the end and touches no other server. gunicorn runs
with DATABASE_URL through PgBouncer and DATABASE_REPLICA_URL on the standby. Then:

- answers posted through the survey pages are written through the pooler;
- the NPS API, the responses API, the responses export (a streamed cursor, through the pooler's
  transactions) and the dashboard count them once the standby has replayed them;
- with the standby's replay paused, new answers are stored (the inbox, on the primary, shows their
  cases) while the reports still count the standby's answers, and the dashboard says it is behind:
  so the reports did read the replica, and nothing else did.
"""

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import closing
from pathlib import Path
from urllib.parse import urlencode

import psycopg2
import pytest

from .conftest import BIN, ROOT, THANKED, Browser, free_port, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SEED = """
import json
from django.contrib.auth.models import Group, User
from crm.models import Customer
from integrations.choices import TokenScope
from integrations.services import api_token_create
from surveys.models import Brand, Invitation, Survey

manager = User.objects.create_user("scale-manager", password="scale-out-pass-1", first_name="Manon")
manager.groups.add(Group.objects.get(name="manager"))
admin = User.objects.create_superuser("scale-admin", password="scale-out-pass-2")
survey = Survey.objects.create(brand=Brand.objects.create(name="Maison Replica"), name="After purchase")
tokens = []
for number in range(12):
    customer = Customer.objects.create(external_id=f"R{number}", first_name="Camille", email=f"r{number}@example.com")
    tokens.append(Invitation.objects.create(survey=survey, customer=customer).token)
key = api_token_create(name="BI", scope=TokenScope.READ, created_by=admin)[1]
print("SEED " + json.dumps({"tokens": tokens, "key": key}))
"""


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


def _as_postgres(args: list[str]) -> list[str]:
    """PostgreSQL and PgBouncer refuse to run as root."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


class PostgresPair:
    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.dir = Path(tempfile.mkdtemp(prefix="npsapp-scale-out-"))
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self.processes: list[subprocess.Popen] = []
        self.primary_port, self.replica_port, self.pooler_port = free_port(), free_port(), free_port()

    def _run(self, *args: str) -> None:
        subprocess.run(_as_postgres([str(a) for a in args]), check=True, capture_output=True, cwd=self.dir)

    def _server(self, name: str, data: Path, port: int) -> None:
        log = open(self.dir / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        args = [self.bindir / "postgres", "-D", data, "-p", port, "-k", self.dir, "-c", "listen_addresses=127.0.0.1"]
        args += ["-c", "fsync=off", "-c", "wal_level=replica", "-c", "max_wal_senders=4", "-c", "hot_standby=on"]
        self.processes.append(subprocess.Popen(_as_postgres([str(a) for a in args]), stdout=log, stderr=log))
        wait_for(lambda: self._ready(port), timeout=30, what=f"the {name} server to accept connections")

    def _ready(self, port: int) -> bool:
        return (
            subprocess.run(
                [self.bindir / "pg_isready", "-h", "127.0.0.1", "-p", str(port)], capture_output=True
            ).returncode
            == 0
        )

    def start(self) -> None:
        primary, replica = self.dir / "primary", self.dir / "replica"
        self._run(self.bindir / "initdb", "-D", primary, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        self._server("primary", primary, self.primary_port)
        self._run(
            self.bindir / "pg_basebackup", "-h", "127.0.0.1", "-p", self.primary_port, "-U", "postgres",
            "-D", replica, "-R", "-X", "stream", "-c", "fast", "--no-sync",
        )  # fmt: skip
        self._server("replica", replica, self.replica_port)
        with closing(self.primary()) as connection, connection.cursor() as cursor:
            cursor.execute("CREATE DATABASE npsapp")
        (self.dir / "users.txt").write_text('"postgres" ""\n')
        (self.dir / "pgbouncer.ini").write_text(
            f"[databases]\n* = host=127.0.0.1 port={self.primary_port}\n\n[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.pooler_port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {self.dir / 'users.txt'}\npool_mode = transaction\n"
            "max_client_conn = 200\ndefault_pool_size = 8\n"
            # Django asks for jit=off in the startup packet; a pooler cannot pass it on.
            "ignore_startup_parameters = extra_float_digits,options\n"
        )
        if os.geteuid() == 0:
            for path in self.dir.iterdir():
                if path.is_file():
                    shutil.chown(path, "postgres", "postgres")
        log = open(self.dir / "pgbouncer.log", "wb")  # noqa: SIM115 - closed with the process
        pooler = subprocess.Popen(
            _as_postgres([shutil.which("pgbouncer"), str(self.dir / "pgbouncer.ini")]), stdout=log, stderr=log
        )
        self.processes.append(pooler)
        wait_for(lambda: self._ready(self.pooler_port), timeout=15, what="PgBouncer to accept connections")

    def url(self, port: int, database: str = "npsapp") -> str:
        return f"postgres://postgres@127.0.0.1:{port}/{database}"

    def primary(self, database: str = "postgres"):
        connection = psycopg2.connect(self.url(self.primary_port, database))
        connection.autocommit = True
        return connection

    def replica(self):
        connection = psycopg2.connect(self.url(self.replica_port))
        connection.autocommit = True
        return connection

    def wait_replayed(self) -> None:
        with closing(self.primary()) as primary, primary.cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()")
            target = cursor.fetchone()[0]

        def replayed():
            with closing(self.replica()) as replica, replica.cursor() as cursor:
                cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
                return cursor.fetchone()[0]

        wait_for(replayed, timeout=30, what="the standby to replay the primary's writes")

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def postgres_pair():
    bindir = _postgres_bin()
    missing = "PostgreSQL's server binaries" if bindir is None else "" if shutil.which("pgbouncer") else "pgbouncer"
    if missing:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the scale-out test must run in CI: {missing} not installed", pytrace=False)
        pytest.skip(f"{missing} not installed")
    pair = PostgresPair(bindir)
    try:
        pair.start()
        yield pair
    finally:
        pair.stop()


def _get_json(url: str, key: str) -> dict:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read())


def _log_in(browser: Browser, base: str) -> None:
    _status, html = browser.get(base + "/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    body = urlencode({"csrfmiddlewaretoken": token, "username": "scale-manager", "password": "scale-out-pass-1"})
    request = urllib.request.Request(base + "/accounts/login/", data=body.encode(), headers={"Referer": base + "/"})
    try:
        browser.opener.open(request, timeout=10)
    except urllib.error.HTTPError as redirect:  # the redirect after a successful login
        assert redirect.code == 302, redirect.code


def test_reports_read_the_replica_and_everything_goes_through_the_pooler(stack, postgres_pair, tmp_path):
    pair = postgres_pair
    env = {
        "DATABASE_URL": pair.url(pair.pooler_port),
        "DATABASE_TRANSACTION_POOLING": "true",
        "DATABASE_REPLICA_URL": pair.url(pair.replica_port),
        "NPSAPP_REPLICA_LAG_WARNING_SECONDS": "1",
        "DB_CONN_MAX_AGE": "60",
    }
    manage = [sys.executable, "manage.py"]
    child_env = {**stack.env, **env}
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=child_env, check=True)
    seeded = subprocess.run(
        [*manage, "shell", "-c", SEED], cwd=ROOT, env=child_env, check=True, capture_output=True, text=True
    )
    seed = json.loads(next(line for line in seeded.stdout.splitlines() if line.startswith("SEED "))[5:])
    base = stack.web("web", **env)
    worker = [str(BIN / "celery"), "-A", "npsapp", "worker", "--concurrency=1", "--without-gossip", "--without-mingle"]
    stack.start("worker", [*worker, "-n", f"scale-out-{os.getpid()}@%h"], **env)
    # The beat keeps the daily roll-up (what the NPS figures read) up to date, every second here.
    stack.start("beat", [str(BIN / "celery"), "-A", "npsapp", "beat", "-s", str(tmp_path / "beat-schedule")], **env)

    scores = [10, 9, 2, 7, 3, 10]
    for token, score in zip(seed["tokens"], scores, strict=False):
        status, _seconds = Browser().submit_survey(f"{base}/s/{token}/", score=score, comment="Colis en retard")
        assert status == THANKED
    nps_url = f"{base}/api/v1/nps/?start=2000-01-01"
    wait_for(lambda: _get_json(nps_url, seed["key"])["n"] == 6, timeout=30, what="the NPS API to count 6 answers")
    pair.wait_replayed()
    assert len(_get_json(f"{base}/api/v1/responses/", seed["key"])["results"]) == 6
    manager = Browser()
    _log_in(manager, base)
    _status, csv_text = manager.get(f"{base}/dashboard/export/responses.csv?start=2000-01-01")
    assert len(csv_text.strip().splitlines()) == 1 + 6
    _status, html = manager.get(f"{base}/dashboard/?start=2000-01-01")
    assert "read replica" not in html

    # The standby stops replaying: new answers land on the primary only.
    with closing(pair.replica()) as replica, replica.cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
    for token in seed["tokens"][6:9]:
        status, _seconds = Browser().submit_survey(f"{base}/s/{token}/", score=1, comment="Jamais reçu")
        assert status == THANKED
    with closing(pair.primary("npsapp")) as primary, primary.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM surveys_response")
        assert cursor.fetchone()[0] == 9, "every answer is stored on the primary"

    def primary_rollup_counts_nine():
        with closing(pair.primary("npsapp")) as primary, primary.cursor() as cursor:
            cursor.execute(
                "SELECT coalesce(sum(" + " + ".join(f"score_{n}" for n in range(11)) + "), 0) FROM reporting_dailynps"
            )
            return cursor.fetchone()[0] == 9

    wait_for(primary_rollup_counts_nine, timeout=30, what="the beat to roll the new answers up on the primary")
    assert _get_json(nps_url, seed["key"])["n"] == 6, "the NPS API reads the replica"
    _status, csv_text = manager.get(f"{base}/dashboard/export/responses.csv?start=2000-01-01")
    assert len(csv_text.strip().splitlines()) == 1 + 6, "the export reads the replica"
    time.sleep(1.5)  # past the lag warning threshold
    _status, html = manager.get(f"{base}/dashboard/?start=2000-01-01")
    assert "read replica" in html, "the dashboard says it is behind"

    def new_cases_in_inbox():
        _status, inbox = manager.get(f"{base}/inbox/")
        return inbox.count("Jamais reçu") == 3

    # The inbox reads the primary: the new detractors' cases, opened by the worker, are there.
    wait_for(new_cases_in_inbox, timeout=30, what="the three new cases in the inbox")

    with closing(pair.replica()) as replica, replica.cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")
    wait_for(lambda: _get_json(nps_url, seed["key"])["n"] == 9, timeout=30, what="the NPS API to count 9 answers")
    _status, html = manager.get(f"{base}/dashboard/?start=2000-01-01")
    assert "read replica" not in html
