"""What reporting stores: the daily NPS roll-up and the weekly digest's deliveries.

Both moved here from `surveys` with their rows (surveys 0018 renames the tables, reporting 0001
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
