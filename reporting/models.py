"""What reporting stores: the daily roll-ups (NPS, follow-up cases, themes), how far they have read, and
the weekly digest's deliveries.

DailyNps and DigestDelivery moved here from `surveys` with their rows (surveys 0018 renames the tables, reporting 0001
takes over the models).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from surveys import scoring
from surveys.choices import Channel
from surveys.models import Survey


class DailyNps(models.Model):
    """How many answers gave each score, per local day, survey, channel and re-survey or not.

    Long trends, the headline and the distribution read this instead of raw rows when the
    dashboard has no CRM filter. A beat task keeps it within a minute of new answers;
    `manage.py rebuild_nps_rollup` rebuilds it from the responses.
    """

    day = models.DateField()
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    # Recovery re-survey answers are counted apart, so the default NPS (without them) reads the roll-up too.
    is_resurvey = models.BooleanField(default=False)
    score_0 = models.PositiveIntegerField(default=0)
    score_1 = models.PositiveIntegerField(default=0)
    score_2 = models.PositiveIntegerField(default=0)
    score_3 = models.PositiveIntegerField(default=0)
    score_4 = models.PositiveIntegerField(default=0)
    score_5 = models.PositiveIntegerField(default=0)
    score_6 = models.PositiveIntegerField(default=0)
    score_7 = models.PositiveIntegerField(default=0)
    score_8 = models.PositiveIntegerField(default=0)
    score_9 = models.PositiveIntegerField(default=0)
    score_10 = models.PositiveIntegerField(default=0)

    SCORE_FIELDS = tuple(f"score_{score}" for score in range(scoring.SCORE_MIN, scoring.SCORE_MAX + 1))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "survey", "channel", "is_resurvey"], name="daily_nps_once")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.survey_id} {self.channel}{' re-survey' if self.is_resurvey else ''}"

    @property
    def score_counts(self) -> list[int]:
        return [getattr(self, name) for name in self.SCORE_FIELDS]


class DigestDelivery(models.Model):
    """One weekly digest sent to one person: claimed before sending, so a retry never mails twice."""

    week_start = models.DateField()
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["week_start", "recipient"], name="digest_once_a_week")]

    def __str__(self) -> str:
        return f"digest of {self.week_start} to {self.recipient_id}"


class DailyFollowup(models.Model):
    """The follow-up cases of one local answer day, survey, channel, re-survey or not, assignee and team.

    Counts of what the dashboard's follow-up panel shows, except what depends on the clock
    ("overdue now", and whether a case still inside its deadline is counted yet): those come
    from the few open cases, read live. Times to first contact are kept as a histogram
    (`followups_rollup.minute_bucket`), from which the median and the 90th percentile are read.
    Each month also has its rows, the sum of its days', so that a year reads 12 rows per group.
    Rebuilt by `manage.py rebuild_nps_rollup`; the beat's roll-up refresh recounts the days of new
    answers, corrections and every case change (each writes its audit event).
    """

    day = models.DateField()
    # A month's row (`day` its first day) sums its days' rows: a long period reads a row per month.
    whole_month = models.BooleanField(default=False)
    survey = models.ForeignKey("surveys.Survey", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    is_resurvey = models.BooleanField(default=False)
    # Like the case's own columns: a deleted team or user leaves the counts, with no group.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey("followups.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    opened = models.PositiveIntegerField(default=0)
    contacted = models.PositiveIntegerField(default=0)
    # Counted by "% within deadline" whatever the time: contacted (verdict frozen) or resolved/closed.
    settled = models.PositiveIntegerField(default=0)
    within_deadline = models.PositiveIntegerField(default=0)
    recovered = models.PositiveIntegerField(default=0)
    not_recoverable = models.PositiveIntegerField(default=0)
    no_reply = models.PositiveIntegerField(default=0)
    resurveyed = models.PositiveIntegerField(default=0)
    came_back = models.PositiveIntegerField(default=0)
    # {bucket's first minute: cases}, only the buckets with cases.
    first_contact_minutes = models.JSONField(default=dict)

    COUNT_FIELDS = (
        "opened",
        "contacted",
        "settled",
        "within_deadline",
        "recovered",
        "not_recoverable",
        "no_reply",
        "resurveyed",
        "came_back",
    )

    class Meta:
        indexes = [models.Index(fields=["whole_month", "day"])]

    def __str__(self) -> str:
        return f"{self.day} {self.survey_id} {self.channel} cases {self.opened}"


class DailyTheme(models.Model):
    """How many detractors gave each theme, per local answer day, survey, channel and re-survey or not.

    The dashboard's "top themes" reads it when its filters are only dates, survey and channel.
    Kept by the beat's roll-up refresh (`themes_rollup`): the days of new theme links (by id)
    and of corrected answers (a score that turns a detractor into a promoter) are recounted, and
    a theme whose links were removed (marked by a receiver of their deletion, `StaleTheme`) is
    recounted over every day.
    """

    day = models.DateField()
    survey = models.ForeignKey("surveys.Survey", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    is_resurvey = models.BooleanField(default=False)
    theme = models.ForeignKey("surveys.Theme", on_delete=models.CASCADE, related_name="+")
    detractors = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day"])]

    def __str__(self) -> str:
        return f"{self.day} {self.theme_id}: {self.detractors}"


class StaleTheme(models.Model):
    """A theme some of whose links were removed since the last refresh: its rows are recounted."""

    theme_id = models.BigIntegerField(unique=True)

    def __str__(self) -> str:
        return f"theme {self.theme_id}"


class ReportingCursor(models.Model):
    """How far one of these roll-ups has read its sources (by id)."""

    name = models.CharField(max_length=50, unique=True)
    last_id = models.BigIntegerField(default=0)
    # The themes' roll-up reads the corrections too: a corrected score may no longer be a detractor's.
    last_revision_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} at {self.last_id}"
