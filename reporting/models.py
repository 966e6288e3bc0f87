"""What reporting stores for itself: the daily roll-up of follow-up cases and how far it has read."""

from django.conf import settings
from django.db import models

from surveys.choices import Channel


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
