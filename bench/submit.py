"""Completed survey answers per second on the real stack, against a bare Django view on the same server.

    .venv/bin/python bench/submit.py [--invitations N] [--rounds R] [--duration S] [--connections C] [--workers W]

One run, one gunicorn (W sync workers, DEBUG off, PostgreSQL, Redis as broker and cache):
(1) queries per submit, counted in this process with the Django test client (CSRF enforced);
(2) rounds of wrk at saturation: the bare view (GET /bench/ok/, which only exists when
NPSAPP_BENCH_BARE_VIEW=true), then answers: the POST /s/<token>/ (each to a fresh invitation),
whose reply is the thank-you page (were it a redirect, the page it leads to is loaded too, as a
customer's browser does). An answer is complete when its thank-you page has come back and it is
stored (counted in the database);
(3) answers at a fixed arrival rate, 80 % of the completed-answer rate measured, with an open-loop
client that times each answer from when it was due to the end of its thank-you page (no
coordinated omission). Targets: completed answers/s >= 0.12x the bare view's req/s, p99 < 100 ms
at that fixed rate, <= 5 queries per submit.

CPU per request (or per completed answer) counts this bench's own gunicorn and the PostgreSQL
backends of its own database only, from /proc.

The database, `npsapp_bench_submit` (BENCH_SUBMIT_DATABASE_URL for another; no other bench's
variable is read), is dropped, created and migrated each run. Redis db 6 (BENCH_REDIS_URL) is the
broker and the cache; no worker runs, so the answers queued for one (npsapp/doorbell.py) and the
drain messages published are dropped at the end, and counted. Needs
wrk (apt-get install wrk). The tables are also written to bench/results/submit.json.

CSRF is checked on every submit, as in production: wrk sends the csrftoken cookie and the same
token in the form, which is what a browser holding the cookie from its earlier GET of the page
sends. The GET itself is a page view, not the submit, and is measured on its own line.
"""

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote_plus

from benchlib import ROOT, Report, bench_env, database_name, django_setup, machine, use_database
from dataset import _manage, _recreate_database

use_database("BENCH_SUBMIT_DATABASE_URL", "npsapp_bench_submit")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
os.environ["BENCH_CELERY_BROKER_URL"] = REDIS_URL

TARGET_RATIO = 0.12  # completed answers (the POST and its thank-you page) per bare request
TARGET_P99_MS = 100
TARGET_QUERIES = 5
# A realistic mix: 5 promoters, 3 passives, 2 detractors in 10 (NPS +30).
SCORES = [10, 9, 8, 6, 9, 7, 10, 3, 9, 8]
COMMENT = "Delivery was quick, but the box was damaged and the instructions were only in English."
# A CSRF secret as the cookie holds it (32 letters and digits); the form carries the same value.
CSRF = "benchSubmitCsrfSecret0123456789A"
BIN = Path(sys.executable).parent

WRK_SCRIPT = r"""
-- Each wrk thread takes every n-th token of the file, so no invitation is answered twice.
local threads = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("thread_number", counter)
  table.insert(threads, thread)
end

function init(args)
  local path, thread_count = args[1], tonumber(args[2])
  mode = args[3]
  tokens = {}
  local line_number = 0
  for line in io.lines(path) do
    line_number = line_number + 1
    if (line_number - 1) % thread_count == thread_number - 1 then tokens[#tokens + 1] = line end
  end
  index = 0
  exhausted = 0
  completed = 0
  thanks = {}
  scores = {__SCORES__}
end

-- In "answer" mode an answer is complete when its thank-you page has come back: the submit's
-- own reply, or the page a redirect leads to (followed, as the customer's browser would). wrk
-- does not say which connection a response came on: redirects wait in a queue that the next
-- request serves.
function response(status, headers, body)
  if mode ~= "answer" then return end
  if status == 302 and headers["Location"] then
    thanks[#thanks + 1] = headers["Location"]
  elseif status == 200 and string.find(body, 'id="thanks"', 1, true) then
    completed = completed + 1
  end
end

function request()
  if mode == "answer" and #thanks > 0 then
    return wrk.format("GET", table.remove(thanks, 1))
  end
  index = index + 1
  if mode == "page" then
    -- Showing the page changes nothing after the first visit: the tokens are reused in turn.
    return wrk.format("GET", "/s/" .. tokens[(index - 1) % #tokens + 1] .. "/")
  end
  local token = tokens[index]
  if token == nil then
    exhausted = exhausted + 1
    token = tokens[#tokens]
  end
  local body = "csrfmiddlewaretoken=__CSRF__&score=" .. scores[(index - 1) % #scores + 1] .. "&comment=__COMMENT__"
  return wrk.format("POST", "/s/" .. token .. "/", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "csrftoken=__CSRF__",
  }, body)
end

function done(summary, latency, requests)
  local exhausted_total, completed_total = 0, 0
  for _, thread in ipairs(threads) do
    exhausted_total = exhausted_total + thread:get("exhausted")
    completed_total = completed_total + thread:get("completed")
  end
  io.write(string.format(
    'WRK_JSON {"requests": %d, "seconds": %f, "p50": %f, "p95": %f, "p99": %f, "max": %f, ' ..
    '"status_errors": %d, "socket_errors": %d, "exhausted": %d, "completed": %d}\n',
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1e3, latency:percentile(95) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3,
    summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    exhausted_total, completed_total))
end
"""

BARE_SCRIPT = r"""
function done(summary, latency, requests)
  io.write(string.format(
    'WRK_JSON {"requests": %d, "seconds": %f, "p50": %f, "p95": %f, "p99": %f, "max": %f, ' ..
    '"status_errors": %d, "socket_errors": %d, "exhausted": 0, "completed": 0}\n',
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1e3, latency:percentile(95) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3,
    summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def server_env(static_root: Path) -> dict:
    env = bench_env()
    env.update(
        REDIS_CACHE_URL=REDIS_URL,
        NPSAPP_BENCH_BARE_VIEW="true",
        STATIC_ROOT=str(static_root),
        # The customer pages' per-token limit stays on: each submit is to its own invitation.
        AXES_ENABLED="true",
    )
    return env


def prepare_database(static_root: Path) -> None:
    name = database_name()
    print(f"database {name}: drop, create, migrate; static files collected", flush=True)
    _recreate_database()
    os.environ.update(server_env(static_root))
    _manage("migrate", "--noinput", "-v", "0")
    _manage("collectstatic", "--noinput", "-v", "0")


def create_invitations(count: int) -> list[str]:
    from crm.models import Customer
    from surveys.models import Brand, Invitation, Survey

    brand = Brand.objects.create(name="Bench Submit")
    survey = Survey.objects.create(brand=brand, name="Bench submit")
    customers = Customer.objects.bulk_create(
        [
            Customer(external_id=f"B{i:07d}", first_name="Camille", last_name=f"Martin{i}", email=f"b{i}@example.com")
            for i in range(count)
        ],
        batch_size=5000,
    )
    invitations = Invitation.objects.bulk_create(
        [Invitation(survey=survey, customer=customer) for customer in customers], batch_size=5000
    )
    return [invitation.token for invitation in invitations]


def count_queries(tokens: list[str]) -> list[list]:
    """Queries of one submit per segment, as a customer's browser does it: GET the page, POST the form.

    Counted in a process that has answered before (the first token), as the server's workers
    have: it keeps the survey (checked by its stamp on each lookup) and knows for a few seconds
    that no webhook subscription is active, which its first answer, and one every
    `integrations.events.NONE_ACTIVE_FOR` seconds, looks up (one query more)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    rows = []
    warm_up, tokens = tokens[0], tokens[1:]
    client = Client(enforce_csrf_checks=True)
    page = client.get(f"/s/{warm_up}/")
    csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1).decode()
    answer = client.post(f"/s/{warm_up}/", {"csrfmiddlewaretoken": csrf, "score": 9, "comment": COMMENT})
    assert _thanked(answer.status_code, answer.content), (answer.status_code, answer.content[:500])
    for score, token in zip((2, 7, 10), tokens, strict=True):
        client = Client(enforce_csrf_checks=True)
        page = client.get(f"/s/{token}/")
        assert page.status_code == 200, page.status_code
        csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1).decode()
        with CaptureQueriesContext(connection) as page_queries:
            client.get(f"/s/{token}/")
        with CaptureQueriesContext(connection) as submit_queries:
            answer = client.post(f"/s/{token}/", {"csrfmiddlewaretoken": csrf, "score": score, "comment": COMMENT})
        assert _thanked(answer.status_code, answer.content), (answer.status_code, answer.content[:500])
        with CaptureQueriesContext(connection) as thanks_queries:
            thanks = client.get(f"/s/{token}/thanks/")
        assert thanks.status_code == 200, thanks.status_code
        rows.append([f"score {score}", len(page_queries), len(submit_queries), len(thanks_queries)])
        if os.environ.get("BENCH_SHOW_QUERIES"):
            for query in submit_queries.captured_queries:
                print("   ", query["sql"][:160])
    return rows


def _floor_orm(token: str, score: int) -> None:
    """The least any ORM submit does: the link by its token, the answer inserted, the commit."""
    from django.db import transaction
    from django.utils import timezone

    from surveys.models import Invitation, Response

    with transaction.atomic():
        invitation = Invitation.objects.only("id", "survey_id", "customer_id").get(token=token)
        Response.objects.create(
            survey_id=invitation.survey_id,
            invitation_id=invitation.id,
            customer_id=invitation.customer_id,
            score=score,
            comment=COMMENT,
            submitted_at=timezone.now(),
        )


def _floor_sql(token: str, score: int) -> None:
    """The same in one hand-written statement and a commit, bypassing the ORM."""
    import uuid

    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO surveys_response (public_id, survey_id, invitation_id, customer_id, channel, score,"
            " comment, language, criteria, contact_email, submitted_at, is_resurvey, correction_digest, location)"
            " SELECT %s, survey_id, id, customer_id, 'email', %s, %s, '', '[]', '', now(), is_resurvey, '', ''"
            " FROM surveys_invitation WHERE token = %s",
            [uuid.uuid4(), score, COMMENT, token],
        )


def _median_ms(call, arguments) -> float:
    times = []
    for argument in arguments:
        started = time.perf_counter()
        call(*argument)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def time_in_process(tokens: list[str]) -> list[list]:
    """Server time without HTTP or gunicorn: the submit's own cost beside the bare view's.

    Two floors show what any submit costs on this stack: the ORM's least (lookup, insert,
    commit; no form, no middleware) and one hand-written INSERT ... SELECT with its commit.
    """
    from django.test import Client

    client = Client()
    client.cookies["csrftoken"] = CSRF

    def submit(number, token):
        data = {"csrfmiddlewaretoken": CSRF, "score": SCORES[number % len(SCORES)], "comment": COMMENT}
        answer = client.post(f"/s/{token}/", data)
        assert _thanked(answer.status_code, answer.content), answer.status_code

    def thanks(number, token):
        page = client.get(f"/s/{token}/thanks/")
        assert page.status_code == 200, page.status_code

    third = len(tokens) // 3
    scored = [(SCORES[n % len(SCORES)], token) for n, token in enumerate(tokens)]
    return [
        ["survey submit POST", _median_ms(submit, list(enumerate(tokens[:third])))],
        ["the thank-you page from its address (a later visit)", _median_ms(thanks, list(enumerate(tokens[:third])))],
        ["floor: ORM lookup + INSERT + COMMIT", _median_ms(lambda s, t: _floor_orm(t, s), scored[third : 2 * third])],
        ["floor: one SQL INSERT ... SELECT + COMMIT", _median_ms(lambda s, t: _floor_sql(t, s), scored[2 * third :])],
        ["bare view GET", _median_ms(lambda: client.get("/bench/ok/"), [()] * 200)],
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(env: dict, workers: int, log_path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = open(log_path, "wb")  # noqa: SIM115 - kept open for the server's life
    args = [str(BIN / "gunicorn"), "npsapp.wsgi:application", "-b", f"127.0.0.1:{port}"]
    args += ["-w", str(workers), "--worker-class", "sync", "--backlog", "2048", "--timeout", "30"]
    server = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/bench/ok/", timeout=2) as reply:
                if reply.status == 200:
                    return server, base
        except OSError:
            time.sleep(0.1)
    server.terminate()
    sys.exit(f"gunicorn did not answer /bench/ok/ in 30 s; see {log_path}")


def _cpu_of(pids: list[int]) -> dict[int, float]:
    """CPU seconds (user + system) used so far by each of these processes, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:  # the process ended meanwhile
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        used[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return used


def _children(parent: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2 :].split()[1]) == parent:
            children.append(int(entry.name))
    return children


class CpuMeter:
    """CPU time of this bench's own processes only: its gunicorn (master and workers) and the
    PostgreSQL backends connected to its own database (not this process's). Other work on the
    machine, another database's backends included, is not counted.

    Counted per process: one that starts during a run counts from zero; one that ends during a
    run takes its CPU with it, so the run reports how many ended (gunicorn keeps its workers and
    the app keeps its connections, so there should be none)."""

    def __init__(self, server_pid: int):
        self.server_pid = server_pid

    def snapshot(self) -> dict[str, dict[int, float]]:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            backends = [row[0] for row in cursor.fetchall()]
        return {"app": _cpu_of([self.server_pid, *_children(self.server_pid)]), "db": _cpu_of(backends)}

    @staticmethod
    def used(before: dict, after: dict) -> tuple[dict[str, float], int]:
        used, ended = {}, 0
        for side in before:
            used[side] = sum(seconds - before[side].get(pid, 0.0) for pid, seconds in after[side].items())
            ended += len(set(before[side]) - set(after[side]))
        return used, ended


def wrk(base: str, path: str, *, script: Path, args: list[str], duration: int, connections: int, meter) -> dict:
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{duration}s", "--timeout", "10s", "-s", str(script)]
    command += [base + path]
    if args:
        command += ["--", *args]
    before = meter.snapshot()
    done = subprocess.run(command, capture_output=True, text=True)
    cpu, ended = meter.used(before, meter.snapshot())
    if done.returncode != 0:
        sys.exit(f"wrk failed ({done.returncode}): {done.stdout}{done.stderr}")
    line = next(line for line in done.stdout.splitlines() if line.startswith("WRK_JSON "))
    result = json.loads(line.removeprefix("WRK_JSON "))
    result["rate"] = result["requests"] / result["seconds"]
    result["completed_rate"] = result["completed"] / result["seconds"]
    result["processes_ended"] = ended
    # Per completed answer in "answer" mode (a POST and a page), else per request.
    unit = result["completed"] or result["requests"]
    for side in ("app", "db"):
        result[f"cpu_{side}"] = cpu[side] * 1000 / max(unit, 1)
    return result


def _thanked(status: int, content: bytes) -> bool:
    """Whether a reply is the thank-you page."""
    return status == 200 and b'id="thanks"' in content


async def _exchange(host: str, port: int, request: bytes) -> tuple[int, bytes, bytes]:
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(request)
    await writer.drain()
    reply = await reader.read()  # gunicorn's sync workers close the connection after each answer
    writer.close()
    head, _, content = reply.partition(b"\r\n\r\n")
    return int(head.split()[1]), head, content


def _location(head: bytes) -> str:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"location":
            return value.strip().decode()
    return ""


async def _fixed_rate(host: str, port: int, tokens: list[str], rate: float, duration: float) -> dict:
    """Answers started at exact times (open loop): the POST, whose reply is the thank-you page
    (a redirect would be followed).

    Latency is counted from each answer's due time to the end of its thank-you page, so a queue
    on the server shows (no coordinated omission)."""
    count = min(int(rate * duration), len(tokens))
    latencies, statuses = [], {}
    body_for = {
        score: f"csrfmiddlewaretoken={CSRF}&score={score}&comment={quote_plus(COMMENT)}".encode() for score in SCORES
    }

    async def answer(number: int, due: float):
        token = tokens[number]
        body = body_for[SCORES[number % len(SCORES)]]
        post = (
            f"POST /s/{token}/ HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: csrftoken={CSRF}\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        ).encode() + body
        try:
            status, head, content = await asyncio.wait_for(_exchange(host, port, post), timeout=10)
            if status == 302:
                page = f"GET {_location(head)} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n"
                status, _head, content = await asyncio.wait_for(_exchange(host, port, page.encode()), timeout=10)
            status = "complete" if _thanked(status, content) else f"status {status}"
        except (TimeoutError, OSError):
            status = "no reply"
        latencies.append((time.perf_counter() - due) * 1000)
        statuses[status] = statuses.get(status, 0) + 1

    started = time.perf_counter()
    pending = []
    for number in range(count):
        due = started + number / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        pending.append(asyncio.create_task(answer(number, due)))
    await asyncio.gather(*pending)
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)

    def percentile(p):
        return ordered[max(-(-p * len(ordered) // 100), 1) - 1]

    return {
        "requests": count,
        "seconds": elapsed,
        "rate": count / elapsed,
        "p50": statistics.median(ordered),
        "p95": percentile(95),
        "p99": percentile(99),
        "max": ordered[-1],
        "statuses": statuses,
    }


def purge_published_tasks() -> tuple[int, int]:
    """(answers queued for a worker, task messages published): both dropped."""
    from npsapp import celery_app
    from surveys.signals import ANSWERS

    return ANSWERS.clear(), celery_app.control.purge()


def _row(name: str, result: dict, note: str = "") -> list:
    return [name, result["requests"], result["rate"], result["p50"], result["p95"], result["p99"], result["max"], note]


def _errors(result: dict) -> str:
    errors = f"{result['status_errors']} bad status, {result['socket_errors']} socket errors"
    per = "answer" if result["completed"] else "request"
    cpu = f"CPU ms per {per}: gunicorn {result['cpu_app']:.2f}, PostgreSQL {result['cpu_db']:.2f}"
    ended = f"; {result['processes_ended']} processes ended (CPU not counted)" if result["processes_ended"] else ""
    return f"{errors}; {cpu}{ended}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invitations", type=int, default=40_000, help="fresh invitations to answer (default 40,000)")
    parser.add_argument("--rounds", type=int, default=3, help="bare view then answers, this many times (default 3)")
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run (default 8)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (default 4)")
    options = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")

    report = Report("submit")
    print(f"{machine()}; gunicorn {options.workers} sync workers; wrk 2 threads, {options.connections} connections")
    work = Path(tempfile.mkdtemp(prefix="npsapp-bench-submit-"))
    prepare_database(work / "static")
    django_setup()
    purge_published_tasks()
    started = time.perf_counter()
    tokens = create_invitations(options.invitations)
    print(f"{len(tokens):,} invitations created in {time.perf_counter() - started:.1f} s", flush=True)

    query_rows = count_queries(tokens[:4])
    in_process = time_in_process(tokens[4:154])
    tokens = tokens[154:]
    page_tokens, tokens = tokens[:2000], tokens[2000:]
    warm_tokens, tokens = tokens[:1500], tokens[1500:]

    submit_script = work / "submit.lua"
    lua = WRK_SCRIPT.replace("__SCORES__", ", ".join(map(str, SCORES)))
    submit_script.write_text(lua.replace("__CSRF__", CSRF).replace("__COMMENT__", quote_plus(COMMENT)))
    bare_script = work / "bare.lua"
    bare_script.write_text(BARE_SCRIPT)

    from surveys.models import Response

    rows, ratios, bare_rates, answer_rates, exhausted = [], [], [], [], 0
    server, base = start_gunicorn(dict(os.environ), options.workers, work / "gunicorn.log")
    meter = CpuMeter(server.pid)
    try:
        run = {"duration": options.duration, "connections": options.connections, "meter": meter}
        # Warm-up: each worker imports and connects what the first requests of each kind need.
        wrk(base, "/bench/ok/", script=bare_script, args=[], **(run | {"duration": 2}))
        warm_file = work / "warm-up-tokens.txt"
        warm_file.write_text("\n".join(warm_tokens) + "\n")
        wrk(base, "/s/x/", script=submit_script, args=[str(warm_file), "2", "answer"], **(run | {"duration": 2}))
        # Each round's answers get their own slice of invitations: none is answered twice.
        slice_size = len(tokens) // (options.rounds + 1)
        for number in range(options.rounds):
            bare = wrk(base, "/bench/ok/", script=bare_script, args=[], **run)
            token_file = work / f"answer-tokens-{number}.txt"
            token_file.write_text("\n".join(tokens[number * slice_size : (number + 1) * slice_size]) + "\n")
            answered_before = Response.objects.count()
            answers = wrk(base, "/s/x/", script=submit_script, args=[str(token_file), "2", "answer"], **run)
            stored = Response.objects.count() - answered_before
            exhausted += answers["exhausted"]
            # A completed answer is stored and its thank-you page shown: count the smaller of the two.
            completed = min(answers["completed"], stored)
            completed_rate = completed / answers["seconds"]
            rows.append(_row(f"{number + 1}. bare view GET /bench/ok/", bare, _errors(bare)))
            rows.append(
                _row(
                    f"{number + 1}. answers: POST /s/<token>/ + its thank-you page",
                    answers,
                    f"{completed:,} completed ({completed_rate:,.0f}/s), {stored:,} stored; {_errors(answers)}",
                )
            )
            ratios.append(completed_rate / bare["rate"])
            bare_rates.append(bare["rate"])
            answer_rates.append(completed_rate)

        page_file = work / "page-tokens.txt"
        page_file.write_text("\n".join(page_tokens) + "\n")
        page = wrk(base, "/s/x/", script=submit_script, args=[str(page_file), "2", "page"], **run)
        rows.append(_row("survey page GET /s/<token>/", page, _errors(page)))

        # The latency target holds at 80 % of the completed-answer rate measured at saturation.
        bare_rate, answer_rate = statistics.median(bare_rates), statistics.median(answer_rates)
        fixed_rate = 0.8 * answer_rate
        port = int(base.rsplit(":", 1)[1])
        remaining = tokens[options.rounds * slice_size :]
        answered_before = Response.objects.count()
        fixed = asyncio.run(_fixed_rate("127.0.0.1", port, remaining, fixed_rate, options.duration))
        stored = Response.objects.count() - answered_before
        rows.append(
            _row(
                f"answers at a fixed {fixed_rate:,.0f}/s (80% of measured)",
                fixed,
                f"{stored:,} stored; outcomes {fixed['statuses']}",
            )
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        purged = purge_published_tasks()

    print()
    report.table(
        f"Saturation (wrk, {options.duration} s each), then answers at a fixed rate (open loop):",
        ["run", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "notes"],
        rows,
    )
    if exhausted:
        report.note(f"WARNING: wrk ran out of invitations ({exhausted} extra requests): raise --invitations")

    print()
    report.table(
        "In this process, no HTTP (same settings; median of 50 each, 200 for the bare view):",
        ["request", "ms"],
        in_process,
    )
    print()
    report.table(
        "Queries (Django test client, CSRF enforced, same settings):",
        ["submit", "queries on GET of the page", "queries on POST", "queries on the thank-you page"],
        query_rows,
    )

    ratio = statistics.median(ratios)
    worst_queries = max(row[2] for row in query_rows)
    report.target(
        f"completed answers/s >= {TARGET_RATIO}x bare view req/s (median of {options.rounds} rounds)",
        f"{ratio:.3f}x ({answer_rate:,.0f} / {bare_rate:,.0f})",
        ratio >= TARGET_RATIO,
    )
    report.target(
        f"p99 < {TARGET_P99_MS} ms at 80% of the completed-answer rate ({fixed_rate:,.0f}/s)",
        f"{fixed['p99']:.1f} ms",
        fixed["p99"] < TARGET_P99_MS,
    )
    report.target(f"<= {TARGET_QUERIES} queries per submit", str(worst_queries), worst_queries <= TARGET_QUERIES)
    report.note(
        f"dropped from the broker (no worker runs): {purged[0]:,} answers queued for a worker, {purged[1]:,} task"
        f" messages; gunicorn log: {work / 'gunicorn.log'}"
    )
    report.save()


if __name__ == "__main__":
    main()
