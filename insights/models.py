"""Themes discovered in the customers' comments, and what matches new answers to accepted ones."""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ProposalStatus(models.TextChoices):
    OPEN = "open", _("To review")
    ACCEPTED = "accepted", _("Accepted")
    MERGED = "merged", _("Merged")
    DISMISSED = "dismissed", _("Dismissed")


class DiscoveryRun(models.Model):
    """One run of theme discovery over the comments of a period."""

    pipeline = models.CharField(_("pipeline"), max_length=20)
    since = models.DateField(_("from"), null=True, blank=True)
    until = models.DateField(_("to"), null=True, blank=True)
    survey = models.ForeignKey(
        "surveys.Survey", verbose_name=_("survey"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING)
    comments_read = models.PositiveIntegerField(_("comments read"), default=0)
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # The inverse document frequency of each term of the run: matching weighs a new comment with it.
    idf = models.JSONField(verbose_name=_("IDF weights"), default=dict, blank=True)

    class Meta:
        verbose_name = _("theme discovery run")
        verbose_name_plural = _("theme discovery runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.pipeline} {self.started_at:%Y-%m-%d %H:%M}"


class ThemeProposal(models.Model):
    """A group of comments a run found, waiting for a manager to accept, merge, rename or dismiss it."""

    public_id = models.UUIDField(verbose_name=_("public id"), default=uuid.uuid4, unique=True, editable=False)
    run = models.ForeignKey(
        DiscoveryRun, verbose_name=_("discovery run"), on_delete=models.CASCADE, related_name="proposals"
    )
    label = models.CharField(_("label"), max_length=100)
    language = models.CharField(_("language"), max_length=8)
    key_phrases = models.JSONField(_("key phrases"), default=list)
    # The language of each key phrase, in the same order: accepted, they become that language's keywords.
    phrase_languages = models.JSONField(verbose_name=_("phrase languages"), default=list)
    size = models.PositiveIntegerField(_("comments"))
    detractor_share = models.FloatField(_("share of detractors"))
    # Response ids, not texts: an erased customer's comment disappears from the examples with the answer's.
    response_ids = models.JSONField(verbose_name=_("response ids"), default=list)
    example_ids = models.JSONField(verbose_name=_("example ids"), default=list)
    centroid = models.JSONField(verbose_name=_("centroid"), default=dict)
    signature = models.JSONField(verbose_name=_("signature"), default=list)
    fingerprint = models.CharField(verbose_name=_("fingerprint"), max_length=40, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.OPEN)
    theme = models.ForeignKey(
        "surveys.Theme",
        verbose_name=_("theme"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposals",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("theme proposal")
        verbose_name_plural = _("theme proposals")
        ordering = ["-size"]
        indexes = [models.Index(fields=["status", "fingerprint"])]

    def __str__(self) -> str:
        return self.label


class ThemeMatcher(models.Model):
    """How new answers are matched to a theme by meaning: the centre of its comments in TF-IDF space."""

    theme = models.OneToOneField(
        "surveys.Theme", verbose_name=_("theme"), on_delete=models.CASCADE, related_name="matcher"
    )
    centroid = models.JSONField(verbose_name=_("centroid"), default=dict)
    idf = models.JSONField(verbose_name=_("IDF weights"), default=dict)
    default_idf = models.FloatField(verbose_name=_("default IDF weight"), default=1.0)
    threshold = models.FloatField(
        _("similarity threshold"),
        default=0.2,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("From 0 to 1: higher matches fewer answers, more surely. 0.2 suits most themes."),
    )
    # Found mostly in detractors' comments: praise alone never matches it.
    is_complaint = models.BooleanField(
        _("complaint theme"), default=True, help_text=_("A comment that only praises never gets this theme.")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("theme matcher")
        verbose_name_plural = _("theme matchers")

    def __str__(self) -> str:
        return str(self.theme)
