"""Survey submissions per second on the real stack, against a bare Django view on the same server.

    .venv/bin/python bench/submit.py [--invitations N] [--duration S] [--connections C] [--workers W]

One run, one gunicorn (W sync workers, DEBUG off, PostgreSQL, Redis as broker and cache):
(1) queries per submit, counted in this process with the Django test client (CSRF enforced);
(2) saturation with wrk, in this order: the bare view (GET /bench/ok/, which only exists when
NPSAPP_BENCH_BARE_VIEW=true), the survey submit (POST /s/<token>/, each to a fresh invitation),
the bare view again; (3) the submit at a fixed arrival rate, half the bare view's throughput (the
target), with an open-loop client that times each request from when it was due, so a slow server
cannot hide its queue (no coordinated omission). Targets: submit ≥ 0.5× the bare view, p99 < 100 ms
at that rate, ≤ 5 queries per submit.

The database, `npsapp_bench_submit` (BENCH_SUBMIT_DATABASE_URL for another), is dropped, created
and migrated each run. Redis db 6 (BENCH_REDIS_URL) is the broker and the cache; no worker runs,
so the published ticket tasks are purged at the end. Needs wrk (apt-get install wrk).

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

os.environ.setdefault(
    "BENCH_DATABASE_URL",
    os.environ.get("BENCH_SUBMIT_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/npsapp_bench_submit"),
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
os.environ.setdefault("BENCH_CELERY_BROKER_URL", REDIS_URL)

from benchlib import ROOT, bench_env, database_name, django_setup, machine, table  # noqa: E402
from dataset import _manage, _recreate_database  # noqa: E402

TARGET_RATIO = 0.5
TARGET_P99_MS = 100
TARGET_QUERIES = 5
# A realistic mix: 5 promoters, 3 passives, 2 detractors in 10 (NPS +30). Detractors cost the most:
# their answer publishes a ticket task.
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
  scores = {__SCORES__}
end

function request()
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
  local exhausted_total = 0
  for _, thread in ipairs(threads) do exhausted_total = exhausted_total + thread:get("exhausted") end
  io.write(string.format(
    'WRK_JSON {"requests": %d, "seconds": %f, "p50": %f, "p95": %f, "p99": %f, "max": %f, ' ..
    '"status_errors": %d, "socket_errors": %d, "exhausted": %d}\n',
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1e3, latency:percentile(95) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3,
    summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    exhausted_total))
end
"""

BARE_SCRIPT = r"""
function done(summary, latency, requests)
  io.write(string.format(
    'WRK_JSON {"requests": %d, "seconds": %f, "p50": %f, "p95": %f, "p99": %f, "max": %f, ' ..
    '"status_errors": %d, "socket_errors": %d, "exhausted": 0}\n',
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
    """Queries of one submit per segment, as a customer's browser does it: GET the page, POST the form."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    rows = []
    for score, token in zip((2, 7, 10), tokens, strict=True):
        client = Client(enforce_csrf_checks=True)
        page = client.get(f"/s/{token}/")
        assert page.status_code == 200, page.status_code
        csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1).decode()
        with CaptureQueriesContext(connection) as page_queries:
            client.get(f"/s/{token}/")
        with CaptureQueriesContext(connection) as submit_queries:
            answer = client.post(f"/s/{token}/", {"csrfmiddlewaretoken": csrf, "score": score, "comment": COMMENT})
        assert answer.status_code == 302, (answer.status_code, answer.content[:500])
        rows.append([f"score {score}", len(page_queries), len(submit_queries)])
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
            " comment, language, criteria, contact_email, submitted_at)"
            " SELECT %s, survey_id, id, customer_id, 'email', %s, %s, '', '[]', '', now()"
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
        assert answer.status_code == 302, answer.status_code

    third = len(tokens) // 3
    scored = [(SCORES[n % len(SCORES)], token) for n, token in enumerate(tokens)]
    return [
        ["survey submit POST", _median_ms(submit, list(enumerate(tokens[:third])))],
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


def _cpu_seconds() -> dict[str, float]:
    """CPU time used so far by gunicorn's processes ("app") and PostgreSQL's ("db"), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {"app": 0.0, "db": 0.0}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:  # the process ended meanwhile
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        seconds = (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
        if b"gunicorn" in command:
            used["app"] += seconds
        elif name.startswith("postgres"):
            used["db"] += seconds
    return used


def wrk(base: str, path: str, *, script: Path, args: list[str], duration: int, connections: int) -> dict:
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{duration}s", "--timeout", "10s", "-s", str(script)]
    command += [base + path]
    if args:
        command += ["--", *args]
    cpu_before = _cpu_seconds()
    done = subprocess.run(command, capture_output=True, text=True)
    cpu_after = _cpu_seconds()
    if done.returncode != 0:
        sys.exit(f"wrk failed ({done.returncode}): {done.stdout}{done.stderr}")
    line = next(line for line in done.stdout.splitlines() if line.startswith("WRK_JSON "))
    result = json.loads(line.removeprefix("WRK_JSON "))
    result["rate"] = result["requests"] / result["seconds"]
    for side in ("app", "db"):
        result[f"cpu_{side}"] = (cpu_after[side] - cpu_before[side]) * 1000 / max(result["requests"], 1)
    return result


async def _one(host: str, port: int, request: bytes) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(request)
    await writer.drain()
    status_line = await reader.readline()
    await reader.read()  # gunicorn's sync workers close the connection after each answer
    writer.close()
    return int(status_line.split()[1])


async def _fixed_rate(host: str, port: int, tokens: list[str], rate: float, duration: float) -> dict:
    """Requests started at exact times (open loop); latency is counted from each one's due time."""
    count = min(int(rate * duration), len(tokens))
    latencies, statuses = [], {}
    body_for = {
        score: f"csrfmiddlewaretoken={CSRF}&score={score}&comment={quote_plus(COMMENT)}".encode() for score in SCORES
    }

    async def fire(number: int, due: float):
        token = tokens[number]
        body = body_for[SCORES[number % len(SCORES)]]
        request = (
            f"POST /s/{token}/ HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: csrftoken={CSRF}\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        ).encode() + body
        try:
            status = await asyncio.wait_for(_one(host, port, request), timeout=10)
        except (TimeoutError, OSError):
            status = 0
        latencies.append((time.perf_counter() - due) * 1000)
        statuses[status] = statuses.get(status, 0) + 1

    started = time.perf_counter()
    pending = []
    for number in range(count):
        due = started + number / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        pending.append(asyncio.create_task(fire(number, due)))
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


def purge_published_tasks() -> int:
    from npsapp import celery_app

    return celery_app.control.purge()


def _row(name: str, result: dict, note: str = "") -> list:
    return [name, result["requests"], result["rate"], result["p50"], result["p95"], result["p99"], result["max"], note]


def _errors(result: dict) -> str:
    errors = f"{result['status_errors']} bad status, {result['socket_errors']} socket errors"
    return f"{errors}; CPU ms per request: gunicorn {result['cpu_app']:.2f}, PostgreSQL {result['cpu_db']:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invitations", type=int, default=40_000, help="fresh invitations to answer (default 40,000)")
    parser.add_argument("--rounds", type=int, default=3, help="bare view then submit, this many times (default 3)")
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run (default 8)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (default 4)")
    options = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")

    print(f"{machine()}; gunicorn {options.workers} sync workers; wrk 2 threads, {options.connections} connections")
    work = Path(tempfile.mkdtemp(prefix="npsapp-bench-submit-"))
    prepare_database(work / "static")
    django_setup()
    purge_published_tasks()
    started = time.perf_counter()
    tokens = create_invitations(options.invitations)
    print(f"{len(tokens):,} invitations created in {time.perf_counter() - started:.1f} s", flush=True)

    query_rows = count_queries(tokens[:3])
    in_process = time_in_process(tokens[3:153])
    tokens = tokens[153:]
    page_tokens, tokens = tokens[:2000], tokens[2000:]
    warm_tokens, tokens = tokens[:1500], tokens[1500:]

    submit_script = work / "submit.lua"
    lua = WRK_SCRIPT.replace("__SCORES__", ", ".join(map(str, SCORES)))
    submit_script.write_text(lua.replace("__CSRF__", CSRF).replace("__COMMENT__", quote_plus(COMMENT)))
    bare_script = work / "bare.lua"
    bare_script.write_text(BARE_SCRIPT)

    from surveys.models import Response

    rows, ratios, bare_rates, submit_rates, exhausted = [], [], [], [], 0
    server, base = start_gunicorn(dict(os.environ), options.workers, work / "gunicorn.log")
    try:
        run = {"duration": options.duration, "connections": options.connections}
        # Warm-up: each worker imports and connects what the first requests of each kind need.
        wrk(base, "/bench/ok/", script=bare_script, args=[], duration=2, connections=options.connections)
        warm_file = work / "warm-up-tokens.txt"
        warm_file.write_text("\n".join(warm_tokens) + "\n")
        wrk(base, "/s/x/", script=submit_script, args=[str(warm_file), "2", "submit"], **(run | {"duration": 2}))
        # Each round's submits get their own slice of invitations: none is answered twice.
        slice_size = len(tokens) // (options.rounds + 1)
        for number in range(options.rounds):
            bare = wrk(base, "/bench/ok/", script=bare_script, args=[], **run)
            token_file = work / f"submit-tokens-{number}.txt"
            token_file.write_text("\n".join(tokens[number * slice_size : (number + 1) * slice_size]) + "\n")
            answered_before = Response.objects.count()
            submit = wrk(base, "/s/x/", script=submit_script, args=[str(token_file), "2", "submit"], **run)
            stored = Response.objects.count() - answered_before
            exhausted += submit["exhausted"]
            rows.append(_row(f"{number + 1}. bare view GET /bench/ok/", bare, _errors(bare)))
            rows.append(
                _row(f"{number + 1}. survey submit POST /s/<token>/", submit, f"{stored:,} stored; {_errors(submit)}")
            )
            ratios.append(submit["rate"] / bare["rate"])
            bare_rates.append(bare["rate"])
            submit_rates.append(submit["rate"])

        page_file = work / "page-tokens.txt"
        page_file.write_text("\n".join(page_tokens) + "\n")
        page = wrk(base, "/s/x/", script=submit_script, args=[str(page_file), "2", "page"], **run)
        rows.append(_row("survey page GET /s/<token>/", page, _errors(page)))

        # The latency target holds at the target rate; if the submit cannot reach it, at the rate it did reach.
        bare_rate, submit_rate = statistics.median(bare_rates), statistics.median(submit_rates)
        target_rate = TARGET_RATIO * bare_rate
        fixed_rate = min(target_rate, submit_rate)
        fixed_label = "0.5x bare" if fixed_rate == target_rate else "measured submit/s, below target"
        port = int(base.rsplit(":", 1)[1])
        remaining = tokens[options.rounds * slice_size :]
        fixed_runs = [(fixed_rate, fixed_label)]
        if fixed_rate < target_rate:
            # At its own saturation rate a queue builds up; 80 % of it shows the latency of a load it carries.
            fixed_runs.append((0.8 * submit_rate, "80% of measured submit/s"))
        for number, (rate, label) in enumerate(fixed_runs):
            answered_before = Response.objects.count()
            share = remaining[number :: len(fixed_runs)]
            result = asyncio.run(_fixed_rate("127.0.0.1", port, share, rate, options.duration))
            stored = Response.objects.count() - answered_before
            if number == 0:
                fixed = result
            rows.append(
                _row(
                    f"submit at a fixed {rate:,.0f}/s ({label})",
                    result,
                    f"{stored:,} stored; statuses {result['statuses']}",
                )
            )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        purged = purge_published_tasks()

    print()
    print(f"Saturation (wrk, {options.duration} s each), then the submit at a fixed rate (open loop):")
    print(table(["run", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "notes"], rows))
    if exhausted:
        print(f"WARNING: wrk ran out of invitations ({exhausted} extra requests): raise --invitations")

    print()
    print("In this process, no HTTP (same settings; median of 50 each, 200 for the bare view):")
    print(table(["request", "ms"], in_process))
    print()
    print("Queries (Django test client, CSRF enforced, same settings):")
    print(table(["submit", "queries on GET of the page", "queries on POST"], query_rows))

    ratio = statistics.median(ratios)
    worst_queries = max(row[2] for row in query_rows)
    print()
    print(
        table(
            ["target", "measured", "met"],
            [
                [
                    f"submit/s >= {TARGET_RATIO}x bare view (median of {options.rounds} rounds)",
                    f"{ratio:.2f}x ({submit_rate:,.0f} / {bare_rate:,.0f})",
                    "yes" if ratio >= TARGET_RATIO else "NO",
                ],
                [
                    f"p99 < {TARGET_P99_MS} ms at {fixed_rate:,.0f}/s",
                    f"{fixed['p99']:.1f} ms",
                    "yes" if fixed["p99"] < TARGET_P99_MS and fixed_rate == target_rate else "NO",
                ],
                [
                    f"<= {TARGET_QUERIES} queries per submit",
                    str(worst_queries),
                    "yes" if worst_queries <= TARGET_QUERIES else "NO",
                ],
            ],
        )
    )
    print(f"\n{machine()} at the end; {purged} published ticket tasks purged from the broker")
    print(f"gunicorn log: {work / 'gunicorn.log'}")


if __name__ == "__main__":
    main()
