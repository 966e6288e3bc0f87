"""Streaming the CSV export of every response vs PostgreSQL's own COPY of the same columns.

    .venv/bin/python bench/export.py [--runs N]

Each measurement runs in a fresh subprocess, so its peak resident memory (VmHWM) is that
of one export alone. The export's lines (`reporting.exports.export_responses`) are encoded
and written to /dev/null; COPY (SELECT the same columns, same joins, same order) TO STDOUT
WITH CSV goes through psycopg2's copy_expert into a sink that counts and writes to /dev/null.
Targets: peak memory < 200 MB; export time ≤ 3 × COPY's.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from benchlib import Report, bench_env, database_name, django_setup, machine

COPY_SQL = """
    COPY (
        SELECT r.public_id, r.submitted_at, s.name, r.channel, r.score,
               CASE WHEN r.score >= 9 THEN 'promoter' WHEN r.score >= 7 THEN 'passive' ELSE 'detractor' END,
               r.comment, r.language, c.external_id, trim(concat_ws(' ', c.first_name, c.last_name)), c.email,
               c.age_band, c.gender, c.region, c.plan
        FROM surveys_response r
        JOIN surveys_survey s ON s.id = r.survey_id
        LEFT JOIN crm_customer c ON c.id = r.customer_id
        WHERE r.submitted_at >= %s AND r.submitted_at < %s
        ORDER BY r.submitted_at, r.id
    ) TO STDOUT WITH (FORMAT csv, HEADER)
"""


def _memory_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


class Sink:
    """Counts what it is given (one write per row from COPY) and drops it in /dev/null."""

    def __init__(self, out):
        self.out, self.writes, self.bytes = out, 0, 0

    def write(self, data: bytes) -> None:
        self.writes += 1
        self.bytes += len(data)
        self.out.write(data)


def child(mode: str) -> None:
    """One measurement; prints a JSON line."""
    django_setup()
    from django.db import connection, transaction
    from django.utils import timezone

    from reporting import exports, reports
    from surveys.filters import ResponseFilter

    today = timezone.localdate()
    filters = ResponseFilter(start=reports.first_answer_day(), end=today, today=today)
    baseline = _memory_kb("VmRSS")
    with open("/dev/null", "wb", buffering=64 * 1024) as out:
        started, cpu = time.perf_counter(), time.process_time()
        if mode == "export":
            rows = written = 0
            for line in exports.export_responses(filters):
                data = line.encode()
                out.write(data)
                # A chunk of lines at a time on PostgreSQL; the bench's comments hold no line break.
                rows, written = rows + line.count("\r\n"), written + len(data)
        else:
            sink = Sink(out)
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL TIME ZONE %s", [str(timezone.get_current_timezone())])
                cursor.copy_expert(cursor.mogrify(COPY_SQL, [filters.starts_at, filters.ends_before]).decode(), sink)
            rows, written = sink.writes, sink.bytes
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    result = {"seconds": seconds, "cpu": cpu, "rows": rows - 1, "bytes": written, "baseline_kb": baseline}
    print(json.dumps(result | {"peak_kb": _memory_kb("VmHWM")}))


def _run(mode: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode], env=bench_env(), capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="measurements of each, alternated")
    parser.add_argument("--child", choices=["export", "copy"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return

    report = Report("export")
    print(f"{database_name()}: {args.runs} runs of each, alternated, each in a fresh process; {machine()}\n")
    results = {"export": [], "copy": []}
    for _ in range(args.runs):
        for mode in results:
            results[mode].append(_run(mode))
    rows = []
    for mode, label in (("export", "export_responses() → /dev/null"), ("copy", "COPY ... TO STDOUT (copy_expert)")):
        runs = sorted(results[mode], key=lambda r: r["seconds"])
        median = runs[len(runs) // 2]
        assert len({r["rows"] for r in runs}) == 1, runs
        rows.append(
            [
                label,
                median["seconds"],
                runs[-1]["seconds"],
                median["cpu"],
                median["rows"],
                median["bytes"] / 1e6,
                max(r["baseline_kb"] for r in runs) / 1024,
                max(r["peak_kb"] for r in runs) / 1024,
            ]
        )
    headers = ["measurement", "median s", "max s", "client CPU s", "rows", "MB out", "RSS before MB", "peak RSS MB"]
    report.table("", headers, rows)
    assert rows[0][4] == rows[1][4], "the export and COPY do not select the same rows"
    report.note("client CPU: this process only (COPY's work is in the PostgreSQL backend)")
    ratio = rows[0][1] / rows[1][1]
    report.target("export time <= 3x COPY's (medians)", f"{ratio:.2f}x", ratio <= 3)
    report.target("export peak memory < 200 MB", f"{rows[0][7]:.0f} MB", rows[0][7] < 200)
    report.save()


if __name__ == "__main__":
    main()
