"""The daily roll-up of follow-up cases (DailyFollowup): kept up to date, rebuilt, and read by the dashboard.

The follow-up panel counts the cases of the answers the filters select. Reading them from the
raw rows joins every answer of the period to its case (a million answers on a large site);
the roll-up holds, per local answer day, survey, channel, re-survey or not, assignee and team,
what the panel counts. Two things cannot be counted ahead because they change with the clock
alone: "overdue now", and whether a case still inside its deadline and never contacted counts
in "% within deadline" yet. Both only concern open cases never given a verdict, which are few:
they are read live.

Times to first contact are kept per day as a histogram of buckets (`minute_bucket`): exact to
the minute under an hour, then 5 minutes wide up to 12 hours, 15 up to 48 hours, an hour up
to 7 days, 6 hours beyond. The median and the 90th percentile (nearest rank, as
`percentile_disc`) are the middle of the bucket holding that rank: within 2 minutes of the
exact value under 12 hours, 7 under 48 hours, 30 under a week. Every count is exact.

Each change to a case writes its audit event (TicketEvent), opening included: the refresh,
every minute from the beat, reads the events since its cursor (with an overlap: ids are taken
before commit) and recounts from the cases every answer day they touch. Recounting whole days
from the source makes a refresh safe to run twice. The columns it reads from the answer (day,
survey, channel, re-survey) never change after the answer is stored; a correction changes the
score, and a case it opens or closes writes its events.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Count, Max, Q, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from followups.choices import DONE_STATUSES, OPEN_STATUSES, Outcome
from followups.models import Ticket, TicketEvent
from followups.selectors import deadline_counted_q, deadline_met_q, tickets_of_responses
from reporting import daily
from reporting.followup_metrics import RECOVERED_FROM, FollowupReport, Performance, followup_report, labelled_report
from reporting.models import DailyFollowup, ReportingCursor
from surveys.filters import RESURVEYS_EXCLUDED, RESURVEYS_INCLUDED, ResponseFilter, resurvey_q

CURSOR_NAME = "daily_followup"
# How many event ids behind the cursor a refresh re-reads, for transactions that committed late.
ID_OVERLAP = 1000
# (bucket width in minutes, up to this minute): the histogram's resolution.
_WIDTHS = ((1, 60), (5, 12 * 60), (15, 48 * 60), (60, 7 * 24 * 60))
_WIDEST = 6 * 60


def minute_bucket(minutes: int) -> int:
    """The first minute of the histogram bucket holding `minutes`."""
    return minutes - minutes % bucket_width(minutes)


def bucket_width(minutes: int) -> int:
    for width, below in _WIDTHS:
        if minutes < below:
            return width
    return _WIDEST


def bucket_value(first_minute: int) -> float:
    """What a percentile falling in this bucket reads: its middle (its only value when 1 minute wide)."""
    return first_minute + (bucket_width(first_minute) - 1) / 2


def histogram_percentile(histogram: dict[int, int], share: float) -> float | None:
    """Nearest-rank percentile (as `metrics.percentile`) of the values a bucket histogram counts."""
    total = sum(histogram.values())
    if not total:
        return None
    rank, seen = max(math.ceil(share * total), 1), 0
    for first_minute in sorted(histogram):
        seen += histogram[first_minute]
        if seen >= rank:
            return bucket_value(first_minute)
    return None  # not reached


def _is_settled(status: str, first_contact_met) -> bool:
    """Counted in "% within deadline" whatever the clock says (see selectors.deadline_counted_q)."""
    return first_contact_met is not None or status in DONE_STATUSES


def _recount_days(days: set[date]) -> int:
    """Replace the roll-up rows of `days` by counts from the cases. Returns rows written."""
    written = 0
    tz = timezone.get_current_timezone()
    for batch, start, end in daily.day_batches(days):
        cases = (
            Ticket.objects.filter(response__submitted_at__gte=start, response__submitted_at__lt=end)
            .annotate(day=TruncDate("response__submitted_at", tzinfo=tz))
            .filter(day__in=batch)
            .order_by()
            .values_list(
                "day",
                "response__survey_id",
                "response__channel",
                "response__is_resurvey",
                "assignee_id",
                "team_id",
                "status",
                "first_contacted_at",
                "first_contact_met",
                "outcome",
                "resurvey_score",
                "minutes_to_first_contact",
            )
        )
        rows: dict[tuple, DailyFollowup] = {}
        for key_and_case in cases.iterator(chunk_size=5000):
            key = key_and_case[:6]
            status, contacted_at, met, outcome, resurvey_score, minutes = key_and_case[6:]
            row = rows.get(key)
            if row is None:
                day, survey_id, channel, is_resurvey, assignee_id, team_id = key
                row = rows[key] = DailyFollowup(
                    day=day,
                    survey_id=survey_id,
                    channel=channel,
                    is_resurvey=is_resurvey,
                    assignee_id=assignee_id,
                    team_id=team_id,
                    first_contact_minutes={},
                )
            row.opened += 1
            row.contacted += contacted_at is not None
            row.settled += _is_settled(status, met)
            row.within_deadline += met is True
            row.recovered += outcome == Outcome.RECOVERED
            row.not_recoverable += outcome == Outcome.NOT_RECOVERABLE
            row.no_reply += outcome == Outcome.NO_REPLY
            row.resurveyed += resurvey_score is not None
            row.came_back += resurvey_score is not None and resurvey_score >= RECOVERED_FROM
            if minutes is not None:
                bucket = str(minute_bucket(minutes))  # JSON keys are text
                row.first_contact_minutes[bucket] = row.first_contact_minutes.get(bucket, 0) + 1
        DailyFollowup.objects.filter(whole_month=False, day__in=batch).delete()
        DailyFollowup.objects.bulk_create(rows.values(), batch_size=1000)
        written += len(rows)
    _recount_months({day.replace(day=1) for day in days})
    return written


def _month_end(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _recount_months(months: set[date]) -> None:
    """Replace the month rows of `months` by the sums of their day rows."""
    for first in sorted(months):
        sums: dict[tuple, DailyFollowup] = {}
        days = DailyFollowup.objects.filter(whole_month=False, day__gte=first, day__lte=_month_end(first))
        for day_row in days.order_by():
            key = (day_row.survey_id, day_row.channel, day_row.is_resurvey, day_row.assignee_id, day_row.team_id)
            row = sums.get(key)
            if row is None:
                row = sums[key] = DailyFollowup(
                    day=first,
                    whole_month=True,
                    survey_id=key[0],
                    channel=key[1],
                    is_resurvey=key[2],
                    assignee_id=key[3],
                    team_id=key[4],
                    first_contact_minutes={},
                )
            for name in DailyFollowup.COUNT_FIELDS:
                setattr(row, name, getattr(row, name) + getattr(day_row, name))
            for bucket, count in day_row.first_contact_minutes.items():
                row.first_contact_minutes[bucket] = row.first_contact_minutes.get(bucket, 0) + count
        DailyFollowup.objects.filter(whole_month=True, day=first).delete()
        DailyFollowup.objects.bulk_create(sums.values(), batch_size=1000)


def _period_q(start: date, end: date) -> Q:
    """The rows that count [start, end] once: the months wholly inside it, the days around them."""
    first_full = start if start.day == 1 else _month_end(start) + timedelta(days=1)
    months = []
    while _month_end(first_full) <= end:
        months.append(first_full)
        first_full = _month_end(first_full) + timedelta(days=1)
    if not months:
        return Q(whole_month=False, day__gte=start, day__lte=end)
    return (
        Q(whole_month=True, day__in=months)
        | Q(whole_month=False, day__gte=start, day__lt=months[0])
        | Q(whole_month=False, day__gt=_month_end(months[-1]), day__lte=end)
    )


def _answer_days(tickets) -> set[date]:
    return daily.local_days(tickets.filter(response__isnull=False), "response__submitted_at")


def followup_rollup_refresh() -> int:
    """Recount the answer days of the cases changed since the last refresh. Returns day rows rewritten.

    One query when nothing changed (the cursor beside the newest event id); the first refresh
    (no cursor yet: the roll-up was just installed) counts every day."""
    newest_event = Coalesce(Subquery(TicketEvent.objects.order_by("-id").values("id")[:1]), 0)
    seen = ReportingCursor.objects.filter(name=CURSOR_NAME).annotate(newest=newest_event).first()
    if seen is not None and seen.newest <= seen.last_id:
        return 0
    return _refresh()


@transaction.atomic
def _refresh() -> int:
    cursor, created = ReportingCursor.objects.select_for_update().get_or_create(name=CURSOR_NAME)
    if created:
        return _rebuild(cursor)
    newest = TicketEvent.objects.aggregate(newest=Max("id"))["newest"] or 0
    if newest <= cursor.last_id:
        return 0
    changed = TicketEvent.objects.filter(id__gt=max(cursor.last_id - ID_OVERLAP, 0)).values("ticket_id")
    written = _recount_days(_answer_days(Ticket.objects.filter(id__in=changed)))
    cursor.last_id = newest
    cursor.save(update_fields=["last_id", "updated_at"])
    return written


@transaction.atomic
def followup_rollup_rebuild() -> int:
    """Recount every day from the cases (after an import or a time-zone change)."""
    cursor, _ = ReportingCursor.objects.select_for_update().get_or_create(name=CURSOR_NAME)
    return _rebuild(cursor)


def _rebuild(cursor: ReportingCursor) -> int:
    newest = TicketEvent.objects.aggregate(newest=Max("id"))["newest"] or 0
    DailyFollowup.objects.all().delete()
    written = _recount_days(_answer_days(Ticket.objects.all()))
    cursor.last_id = newest
    cursor.save(update_fields=["last_id", "updated_at"])
    return written


def followup_rollup_catch_up_when_embedded() -> None:
    daily.catch_up_when_embedded(followup_rollup_refresh)


def _live_q() -> Q:
    """The cases whose figures move with the clock: open, and never contacted or without a verdict."""
    return Q(status__in=OPEN_STATUSES) & (Q(first_contact_met__isnull=True) | Q(first_contacted_at__isnull=True))


def first_contact_figures(*, filters: ResponseFilter, now) -> Performance:
    """ "% first contact within deadline" of the cases of the answers the NPS counts (`filters.responses()`,
    re-survey answers as the NPS counts them): its numerator and denominator, as the API gives them.

    From the roll-up and the open cases when it can; otherwise one count over the cases (no
    percentiles, no grouping: those are the panel's)."""
    if filters.can_use_rollup:
        return _rolled_up(filters, now, filters.resurveys).total
    counted = tickets_of_responses(filters.responses()).aggregate(
        deadline_counted=Count("id", filter=deadline_counted_q(now)),
        within_deadline=Count("id", filter=deadline_met_q()),
    )
    return Performance(**counted)


def dashboard_followup_report(*, filters: ResponseFilter, now) -> FollowupReport:
    """The follow-up panel's figures for the dashboard's filters (their cases: `case_responses`).

    From the roll-up and the open cases when the filters are only dates, survey and channel;
    from the cases themselves (`reporting.followup_metrics.followup_report`) otherwise.
    """
    if not filters.can_use_rollup:
        return followup_report(tickets=tickets_of_responses(filters.case_responses()), now=now)
    # As `case_responses`: a case opened by a re-survey answer is still a case to work.
    return _rolled_up(
        filters, now, RESURVEYS_INCLUDED if filters.resurveys == RESURVEYS_EXCLUDED else filters.resurveys
    )


def _rolled_up(filters: ResponseFilter, now, resurveys: str) -> FollowupReport:
    """The report of the cases of the answers `filters` select with this re-survey choice."""
    filters = replace(filters, resurveys=resurveys)
    followup_rollup_catch_up_when_embedded()
    rows = DailyFollowup.objects.filter(_period_q(filters.start, filters.end))
    if filters.survey is not None:
        rows = rows.filter(survey=filters.survey)
    if filters.channel:
        rows = rows.filter(channel=filters.channel)
    rows = rows.filter(resurvey_q(resurveys))
    total, agents, teams = Performance(), defaultdict(Performance), defaultdict(Performance)
    histograms: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))

    def groups(assignee_id, team_id) -> list[Performance]:
        found = [total]
        if assignee_id is not None:
            found.append(agents[assignee_id])
        if team_id is not None:
            found.append(teams[team_id])
        return found

    for row in rows.values("assignee_id", "team_id", "first_contact_minutes", *DailyFollowup.COUNT_FIELDS):
        for performance in groups(row["assignee_id"], row["team_id"]):
            for name in DailyFollowup.COUNT_FIELDS:
                if name == "settled":
                    performance.deadline_counted += row[name]
                else:
                    setattr(performance, name, getattr(performance, name) + row[name])
            histogram = histograms[id(performance)]
            for first_minute, count in row["first_contact_minutes"].items():
                histogram[int(first_minute)] += count
    live = tickets_of_responses(filters.responses()).filter(_live_q())
    for assignee_id, team_id, status, met, due_at, contacted_at, paused_at in live.order_by().values_list(
        "assignee_id",
        "team_id",
        "status",
        "first_contact_met",
        "first_contact_due_at",
        "first_contacted_at",
        "clock_paused_at",
    ):
        past_deadline = due_at < now
        # The same rules as selectors.deadline_counted_q and overdue_q, for the cases that move with the clock.
        counted = past_deadline and not _is_settled(status, met)
        overdue = past_deadline and contacted_at is None and paused_at is None
        for performance in groups(assignee_id, team_id):
            performance.deadline_counted += counted
            performance.overdue_now += overdue
    for performance in [total, *agents.values(), *teams.values()]:
        histogram = histograms.get(id(performance), {})
        performance.median_minutes = histogram_percentile(histogram, 0.5)
        performance.p90_minutes = histogram_percentile(histogram, 0.9)
    return labelled_report(total, dict(agents), dict(teams))
