"""Dashboard timings on the bench dataset, all in one run (build it first with bench/dataset.py).

    .venv/bin/python bench/dashboard.py [--runs N]

a. a filtered view (age band 35-49, Bretagne, 12 months): the dashboard's NPS query and the
   whole build_dashboard vs hand-written COUNT(*) FILTER SQL over the same rows (target ≤ 1.2×);
b. the 12-month and all-time pages (test client, server time), build_dashboard alone and the
   follow-up panel; targets on the complete dashboard (page + panel): < 150 ms (12 months),
   < 250 ms (all time); the all-time page with a region filter: < 250 ms;
c. roll-up freshness: 100 new responses, then rollup_refresh(); roll-up equal to the raw counts;
d. the same figures read from the raw responses, for comparison;
e. GET /api/v1/nps/, all time with a region filter, with a read token (target < 250 ms).

Each run of this bench adds runs × 100 responses dated now to the bench database.
"""

import argparse
import warnings

from benchlib import Report, django_setup, elapsed_ms, machine, stats, timed

AGE_BAND, REGION = "35-49", "Bretagne"
SEGMENTS = (
    "count(*) FILTER (WHERE r.score >= 9), count(*) FILTER (WHERE r.score BETWEEN 7 AND 8),"
    " count(*) FILTER (WHERE r.score <= 6)"
)
CRM_JOIN = "surveys_response r JOIN crm_customer c ON c.id = r.customer_id"
CRM_WHERE = "r.submitted_at >= %s AND r.submitted_at < %s AND c.age_band = %s AND c.region = %s"
HAND_NPS = f"SELECT {SEGMENTS} FROM {CRM_JOIN} WHERE {CRM_WHERE}"
# What a person would write for the other figures of the filtered dashboard: monthly trend and
# breakdown by survey (the previous period is HAND_NPS again).
HAND_TREND = (
    f"SELECT date_trunc('month', r.submitted_at AT TIME ZONE %s), {SEGMENTS}"
    f" FROM {CRM_JOIN} WHERE {CRM_WHERE} GROUP BY 1"
)
HAND_BREAKDOWN = (
    f"SELECT s.name, {SEGMENTS} FROM {CRM_JOIN} JOIN surveys_survey s ON s.id = r.survey_id"
    f" WHERE {CRM_WHERE} GROUP BY s.name"
)
NEW_RESPONSES = """
    INSERT INTO surveys_response (public_id, survey_id, customer_id, channel, score, comment, language, submitted_at,
                                  criteria, contact_email, is_resurvey, correction_digest, location)
    SELECT gen_random_uuid(), (SELECT min(id) FROM surveys_survey), 1 + floor(random() * 50000)::int, 'email',
           floor(random() * 11)::int, '', 'fr', now() - random() * interval '10 seconds', '[]', '', false, '', ''
    FROM generate_series(1, 100)
"""
API_TOKEN_NAME = "bench dashboard"
STATIC_WITHOUT_MANIFEST = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}


def _sql(query: str, params: list):
    """A fresh cursor and execution each call."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall() if cursor.description else None


def _interleaved(fns: dict, runs: int) -> dict[str, list[float]]:
    """Times of each function, alternated run by run so load on the machine hits them alike."""
    for fn in fns.values():
        fn()  # warm-up
    samples = {name: [] for name in fns}
    for _ in range(runs):
        for name, fn in fns.items():
            samples[name].append(elapsed_ms(fn))
    return samples


def _queries(fn) -> tuple[int, list[str]]:
    """How many queries `fn` runs, and its three slowest (ms and start of the SQL)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    slowest = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:3]
    return len(captured), [f"{float(q['time']) * 1000:7.0f} ms  {' '.join(q['sql'].split())[:100]}" for q in slowest]


def _print_slowest(label: str, queries: tuple[int, list[str]]) -> None:
    print(f"   {label}, slowest queries:")
    for line in queries[1]:
        print(f"   {line}")


def _row(label: str, samples: list[float], *extra) -> list:
    return [label, *stats(samples), *(f"{v:.2f}" if isinstance(v, float) else v for v in extra)]


def filtered_view(crm, client, runs: int, report: Report) -> None:
    from django.utils import timezone

    from reporting import reports

    params = [crm.starts_at, crm.ends_before, AGE_BAND, REGION]
    previous = crm.previous()
    previous_params = [previous.starts_at, previous.ends_before, AGE_BAND, REGION]

    def hand_dashboard():
        _sql(HAND_NPS, params)
        _sql(HAND_TREND, [str(timezone.get_current_timezone()), *params])
        _sql(HAND_BREAKDOWN, params)
        _sql(HAND_NPS, previous_params)

    orm_counts = reports._RawSource(crm).counts(crm.start, crm.end)
    hand_counts = _sql(HAND_NPS, params)[0]
    assert (sum(orm_counts[9:]), sum(orm_counts[7:9]), sum(orm_counts[:7])) == hand_counts, (orm_counts, hand_counts)
    samples = _interleaved(
        {
            "nps": lambda: reports._RawSource(crm).counts(crm.start, crm.end),
            "hand_nps": lambda: _sql(HAND_NPS, params),
            "build": lambda: reports.build_dashboard(crm),
            "hand_all": hand_dashboard,
        },
        runs,
    )
    medians = {name: stats(values)[0] for name, values in samples.items()}
    url = f"/dashboard/?{crm.query_string()}"
    assert client.get(url).status_code == 200
    page = _queries(lambda: client.get(url))
    print(
        f"a. Filtered view: age_band={AGE_BAND}, region={REGION}, {crm.start} .. {crm.end}: {sum(hand_counts):,} rows"
    )
    build_queries = _queries(lambda: reports.build_dashboard(crm))[0]
    rows = [
        _row("hand-written COUNT(*) FILTER", samples["hand_nps"], 1, 1.0),
        _row("dashboard NPS query (_RawSource.counts)", samples["nps"], 1, medians["nps"] / medians["hand_nps"]),
        _row("hand-written, every figure (4 queries)", samples["hand_all"], 4, 1.0),
        _row("build_dashboard(filters)", samples["build"], build_queries, medians["build"] / medians["hand_all"]),
        _row("GET /dashboard/ with these filters", timed(lambda: client.get(url), runs), page[0], ""),
    ]
    report.table("", ["measurement", "median", "p95", "max", "queries", "ratio"], rows)
    report.note("   ratio: NPS query / hand-written query; build_dashboard / its 4 hand-written equivalents.")
    for name, hand in (("nps", "hand_nps"), ("build", "hand_all")):
        ratio = medians[name] / medians[hand]
        report.target(f"filtered view: {name} / hand-written <= 1.2", f"{ratio:.2f}", ratio <= 1.2)
    print(f"   same rows: ORM score counts {orm_counts} = hand-written (promoters, passives, detractors) {hand_counts}")
    _print_slowest("the filtered page", page)
    print()


def trend_views(views, client, runs: int, report: Report) -> None:
    """Each view: its page, build_dashboard alone, its follow-up panel, and page + panel ("complete").

    A view's targets: on the complete dashboard (page + panel), or on the page alone."""
    from reporting import reports

    rows, pages = [], []
    for label, filters, url, shown, complete_target, page_target in views:
        assert client.get(url).status_code == 200
        source = reports.build_dashboard(filters).source  # the roll-up unless a CRM filter needs the answers
        label = f"{label}, {source}"
        page = _queries(lambda url=url: client.get(url))
        pages.append((label, page))
        page_times = timed(lambda url=url: client.get(url), runs)
        rows.append(_row(f"GET {shown} ({label})", page_times, page[0], f"< {page_target}" if page_target else "-"))
        if page_target:
            page_median = stats(page_times)[0]
            report.target(
                f"dashboard page ({label}), median < {page_target} ms",
                f"{page_median:.1f} ms",
                page_median < page_target,
            )
        build = timed(lambda filters=filters: reports.build_dashboard(filters), runs)
        build_queries = _queries(lambda filters=filters: reports.build_dashboard(filters))[0]
        rows.append(_row(f"build_dashboard ({label})", build, build_queries, "-"))
        panel_url = url.replace("/dashboard/", "/dashboard/follow-up/", 1)
        panel = _queries(lambda panel_url=panel_url: client.get(panel_url))
        pages.append((f"{label} follow-up panel", panel))
        panel_times = timed(lambda panel_url=panel_url: client.get(panel_url, headers={"HX-Request": "true"}), runs)
        rows.append(_row(f"  its follow-up panel (htmx, {label})", panel_times, panel[0], "-"))
        complete = stats(page_times)[0] + stats(panel_times)[0]
        rows.append(
            [
                f"  complete: page + panel ({label})",
                complete,
                "",
                "",
                "",
                f"< {complete_target}" if complete_target else "-",
            ]
        )
        if complete_target:
            report.target(
                f"dashboard complete ({label}), medians of page + panel < {complete_target} ms",
                f"{complete:.1f} ms",
                complete < complete_target,
            )
    report.table(
        "b. Trend views (server time; source: roll-up or raw answers)",
        ["measurement", "median", "p95", "max", "queries", "target"],
        rows,
    )
    for label, page in pages:
        _print_slowest(f"the {label} page", page)
    print()


def nps_api(manager, filters, label: str, runs: int, target_ms: int, report: Report) -> None:
    """GET /api/v1/nps/ with these filters (a read token), as an integration calls it."""
    from rest_framework.test import APIClient

    from integrations.choices import TokenScope
    from integrations.models import ApiToken
    from integrations.services import api_token_create

    ApiToken.objects.filter(name=API_TOKEN_NAME).delete()  # the previous run's
    key = api_token_create(name=API_TOKEN_NAME, scope=TokenScope.READ, created_by=manager)[1]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    url = f"/api/v1/nps/?{filters.query_string()}"
    answer = api.get(url)
    assert answer.status_code == 200, answer.content[:300]
    queries = _queries(lambda: api.get(url))
    samples = timed(lambda: api.get(url), runs)
    median = stats(samples)[0]
    report.table(
        f"e. The NPS API ({label})",
        ["measurement", "median", "p95", "max", "queries", "target"],
        [_row(f"GET /api/v1/nps/ ({label})", samples, queries[0], f"< {target_ms}")],
    )
    report.target(f"GET /api/v1/nps/ ({label}), median < {target_ms} ms", f"{median:.1f} ms", median < target_ms)
    _print_slowest("the NPS API", queries)
    print()


def freshness(today, runs: int, report: Report) -> None:
    from django.conf import settings

    from reporting import reports, rollup
    from surveys.filters import ResponseFilter

    refresh = []
    for _ in range(runs):
        _sql(NEW_RESPONSES, [])
        refresh.append(elapsed_ms(rollup.rollup_refresh))
    day = ResponseFilter(start=today, end=today, today=today)
    raw, rolled = reports._RawSource(day).counts(today, today), reports._RollupSource(day).counts(today, today)
    assert raw == rolled, (raw, rolled)
    interval = settings.NPSAPP_BEAT_INTERVAL_SECONDS
    report.table(
        f"c. Roll-up freshness: {runs} × (insert 100 responses, then rollup_refresh())",
        ["measurement", "median", "p95", "max"],
        [_row("rollup_refresh() after 100 new responses", refresh)],
    )
    print(f"   today's score counts: roll-up = raw = {raw} ({sum(raw):,} answers)")
    worst = stats(refresh)[2] / 1000
    print(f"   beat every {interval} s: new answers show within {interval} s + {worst:.3f} s at worst\n")


def raw_figures(twelve, all_time, runs: int, report: Report) -> None:
    from reporting import reports

    start, end = all_time.start, all_time.end
    raw, rolled = reports._RawSource(all_time), reports._RollupSource(all_time)
    assert raw.counts(start, end) == rolled.counts(start, end)
    months = raw.trend(start, end, "month")
    assert dict(months) == dict(rolled.trend(start, end, "month"))
    for dimension in ("survey", "channel"):
        assert raw.breakdown(start, end, dimension) == rolled.breakdown(start, end, dimension)
    rows = [
        _row("raw counts, all time", timed(lambda: raw.counts(start, end), runs)),
        _row("raw monthly trend, all time", timed(lambda: raw.trend(start, end, "month"), runs)),
        _row(
            "raw monthly trend, 12 months",
            timed(lambda: reports._RawSource(twelve).trend(twelve.start, end, "month"), runs),
        ),
        _row("roll-up rows read, all time (_RollupSource)", timed(lambda: reports._RollupSource(all_time), runs)),
    ]
    report.table(
        "d. The same figures from the raw responses (what the roll-up saves)",
        ["measurement", "median", "p95", "max"],
        rows,
    )
    print(f"   all time: counts, {len(months)} monthly buckets, breakdowns by survey and channel: roll-up = raw")


def followup_check(filters) -> None:
    """The follow-up panel's roll-up gives the counts of the cases themselves (the percentiles to its buckets)."""
    from dataclasses import asdict

    from django.utils import timezone

    from followups.selectors import tickets_of_responses
    from reporting.followup_metrics import followup_report
    from reporting.followups_rollup import bucket_value, dashboard_followup_report, minute_bucket

    now = timezone.now()
    raw = asdict(followup_report(tickets=tickets_of_responses(filters.case_responses()), now=now).total)
    rolled = asdict(dashboard_followup_report(filters=filters, now=now).total)
    for name in ("median_minutes", "p90_minutes"):
        if raw[name] is not None:
            raw[name] = bucket_value(minute_bucket(raw[name]))
    assert raw == rolled, (raw, rolled)
    print(f"follow-up roll-up, all time: the cases' own figures ({rolled['opened']:,} cases)\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9, help="timed runs after one warm-up (at least 7)")
    runs = max(parser.parse_args().runs, 7)
    django_setup()
    warnings.filterwarnings("ignore", message="No directory at")  # no collected static files: not needed here

    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client, override_settings
    from django.utils import timezone

    from npsapp import celery_app
    from reporting import followups_rollup, reports, themes_rollup
    from surveys import selectors
    from surveys.filters import ResponseFilter, default_start
    from surveys.models import Response

    assert not settings.DEBUG
    assert not celery_app.conf.task_always_eager, "Celery is eager: the view would refresh the roll-up itself"
    # The manifest of collected static files is not built for the bench; a manifest lookup is a dict read.
    override_settings(STORAGES={**settings.STORAGES, "staticfiles": STATIC_WITHOUT_MANIFEST}).enable()
    manager, _ = User.objects.get_or_create(username="bench-manager")
    manager.groups.add(Group.objects.get(name="manager"))
    client = Client()
    client.force_login(manager)

    today = timezone.localdate()
    first_day = reports.first_answer_day()
    twelve = ResponseFilter(start=default_start(today), end=today, today=today)
    all_time = ResponseFilter(start=first_day, end=today, today=today)
    crm = ResponseFilter(start=twelve.start, end=today, age_band=AGE_BAND, region=REGION, today=today)
    print(
        f"{connection.settings_dict['NAME']}: {Response.objects.count():,} responses, {first_day} .. {today}; "
        f"{runs} runs after 1 warm-up; times in ms; {machine()}\n"
    )
    # What the beat does every minute (the first time, on a dataset built before the follow-up
    # and themes roll-ups existed, it counts every case and theme link); then their figures
    # checked against the cases' and the links'.
    followups_rollup.followup_rollup_refresh()
    themes_rollup.theme_rollup_refresh()
    followup_check(all_time)
    assert themes_rollup.dashboard_top_themes(all_time) == selectors.top_themes(all_time.responses())
    report = Report("dashboard")
    filtered_view(crm, client, runs, report)
    region = ResponseFilter(start=first_day, end=today, region=REGION, today=today)
    # (label, filters, url, shown, target of page + panel, target of the page alone), in ms.
    views = [
        ("12 months", twelve, "/dashboard/", "/dashboard/", 150, None),
        ("all time", all_time, f"/dashboard/?{all_time.query_string()}", "/dashboard/?start=<first day>", 250, None),
        (
            f"all time, region {REGION}",
            region,
            f"/dashboard/?{region.query_string()}",
            "/dashboard/?start=<first day>&region=...",
            None,
            250,
        ),
    ]
    trend_views(views, client, runs, report)
    nps_api(manager, region, f"all time, region {REGION}", runs, 250, report)
    freshness(today, runs, report)
    raw_figures(twelve, all_time, runs, report)
    report.save()


if __name__ == "__main__":
    main()
