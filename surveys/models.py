import hashlib
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from surveys import branding, scoring
from surveys.choices import Channel, DeliveryStatus, Segment, SlaClock
from surveys.embed import LOCATION_MAX_LENGTH, embed_origins_from_text, validate_embed_origins

COMMENT_MAX_LENGTH = 5000
CRITERIA_MAX_OPTIONS = 6
CRITERION_MAX_LENGTH = 100
# A respondent may change their answer from the same link for this long after answering.
CORRECTION_WINDOW = timedelta(hours=24)
DEFAULT_QUESTION = _("How likely are you to recommend %(brand)s to a friend or colleague?")
DEFAULT_COMMENT_PROMPT = _("What is the main reason for your score?")
DEFAULT_PROMPTS = {
    Segment.DETRACTOR: _("What could we improve?"),
    Segment.PASSIVE: _("What would earn one more point?"),
    Segment.PROMOTER: _("Why this score?"),
}

validate_hex_colour = RegexValidator(
    r"^#[0-9a-fA-F]{6}$", _("Enter a colour as # followed by six hexadecimal digits, e.g. #0d6efd.")
)


def criteria_lines(text: str) -> list[str]:
    """The non-empty, stripped lines of a criteria option list, duplicates dropped, in order."""
    return list(dict.fromkeys(line.strip() for line in text.splitlines() if line.strip()))


def validate_criteria_options(text: str) -> None:
    options = criteria_lines(text)
    if len(options) > CRITERIA_MAX_OPTIONS:
        raise ValidationError(
            _("Give at most %(max)d options (one per line); there are %(count)d."),
            params={"max": CRITERIA_MAX_OPTIONS, "count": len(options)},
            code="too_many_options",
        )
    too_long = [option for option in options if len(option) > CRITERION_MAX_LENGTH]
    if too_long:
        raise ValidationError(
            _("Keep each option under %(max)d characters: “%(option)s” is longer."),
            params={"max": CRITERION_MAX_LENGTH, "option": too_long[0][:40] + "…"},
            code="option_too_long",
        )


def correction_digest(key: str) -> str:
    """What an anonymous answer stores of the correction key kept in the respondent's browser."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_token() -> str:
    # 32 random bytes: 256 bits, far beyond guessing.
    return secrets.token_urlsafe(32)


def default_expiry():
    return timezone.now() + timedelta(days=settings.NPSAPP_LINK_VALID_DAYS)


class Brand(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    colour = models.CharField(
        _("colour"),
        max_length=7,
        default="#0d6efd",
        validators=[validate_hex_colour],
        help_text=_("Hex colour, e.g. #0d6efd"),
    )

    class Meta:
        verbose_name = _("brand")
        verbose_name_plural = _("brands")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # Each process keeps the survey pages' surveys with their brand, checked by the survey's
        # updated_at (surveys.selectors): a brand's change is its surveys' change.
        Survey.objects.filter(brand=self).update(updated_at=timezone.now())

    @property
    def css_colour(self) -> str:
        """The colour, or the default if a row predates the validation."""
        if validate_hex_colour.regex.match(self.colour or ""):
            return self.colour.lower()
        return self._meta.get_field("colour").default

    @property
    def ink(self) -> str:
        """Black or white text, whichever reads better on the brand colour."""
        return branding.readable_ink(self.css_colour)

    @property
    def edge(self) -> str:
        """The selected tile's edge on a white card: the brand colour, or ink for a pale brand."""
        return branding.control_edge(self.css_colour)


class Survey(models.Model):
    public_id = models.UUIDField(verbose_name=_("public id"), default=uuid.uuid4, unique=True, editable=False)
    brand = models.ForeignKey(Brand, verbose_name=_("brand"), on_delete=models.PROTECT, related_name="surveys")
    name = models.CharField(_("name"), max_length=200)
    question = models.CharField(
        _("question"),
        max_length=300,
        blank=True,
        help_text=_("Leave empty for the standard question naming the brand."),
    )
    comment_prompt = models.CharField(
        _("open question"), max_length=300, blank=True, help_text=_("Leave empty for the standard wording.")
    )
    first_contact_hours = models.PositiveIntegerField(
        _("first-contact deadline (hours)"),
        default=48,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 30)],
        help_text=_("Detractors get a follow-up case that must be first contacted within this many hours."),
    )
    team = models.ForeignKey(
        "followups.Team",
        verbose_name=_("follow-up team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="surveys",
        help_text=_("The team whose agents handle this survey's follow-up cases."),
    )
    is_anonymous = models.BooleanField(
        _("anonymous"), default=False, help_text=_("Responses are not linked to the customer's identity.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    # What the respondent sees after the score: a follow-up question and thanks per segment.
    prompt_detractor = models.CharField(
        _("follow-up question for detractors (0–6)"),
        max_length=300,
        blank=True,
        help_text=_("Leave empty for “What could we improve?”."),
    )
    prompt_passive = models.CharField(
        _("follow-up question for passives (7–8)"),
        max_length=300,
        blank=True,
        help_text=_("Leave empty for “What would earn one more point?”."),
    )
    prompt_promoter = models.CharField(
        _("follow-up question for promoters (9–10)"),
        max_length=300,
        blank=True,
        help_text=_("Leave empty for “Why this score?”."),
    )
    criteria_question = models.CharField(
        _("criteria question"), max_length=300, blank=True, help_text=_("Optional. Leave empty to ask none.")
    )
    criteria_options = models.TextField(
        _("criteria options"),
        blank=True,
        validators=[validate_criteria_options],
        help_text=_("One option per line, at most 6."),
    )
    criteria_multiple = models.BooleanField(_("several criteria may be chosen"), default=False)
    csat_question = models.CharField(
        _("satisfaction question (1–5)"), max_length=300, blank=True, help_text=_("Optional. Leave empty to ask none.")
    )
    thanks_detractor = models.TextField(_("thank-you text for detractors"), blank=True)
    thanks_passive = models.TextField(_("thank-you text for passives"), blank=True)
    thanks_promoter = models.TextField(_("thank-you text for promoters"), blank=True)
    review_url = models.URLField(_("public review page"), blank=True, help_text=_("Offered to promoters."))
    review_label = models.CharField(
        _("review button label"), max_length=100, blank=True, help_text=_("Leave empty for “Leave a public review”.")
    )
    referral_url = models.URLField(_("referral link"), blank=True, help_text=_("Offered to promoters."))
    referral_label = models.CharField(
        _("referral button label"),
        max_length=100,
        blank=True,
        help_text=_("Leave empty for “Recommend us to a friend”."),
    )
    email_subject = models.CharField(
        _("invitation email subject"),
        max_length=200,
        blank=True,
        help_text=_("Leave empty for “Your opinion of <brand>”. Reminders start with “Reminder:”."),
    )
    email_body = models.TextField(
        _("invitation email text"),
        blank=True,
        help_text=_("A few words shown above the question in the invitation email. Optional."),
    )
    public_form_enabled = models.BooleanField(
        _("public feedback page"), default=False, help_text=_("A page anyone can answer, without an invitation.")
    )
    embed_origins = models.TextField(
        _("sites allowed to embed the public page"),
        blank=True,
        validators=[validate_embed_origins],
        help_text=_(
            "One origin per line, e.g. https://www.example.com. Only these sites may show the public "
            "page in a frame; empty: no site may."
        ),
    )

    # Distribution.
    link_valid_days = models.PositiveSmallIntegerField(
        _("links valid for (days)"), default=30, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    contact_fatigue_days = models.PositiveSmallIntegerField(
        _("do not invite the same customer again within (days)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(3650)],
        help_text=_("Leave empty for the site-wide setting."),
    )
    reminder_after_days = models.PositiveSmallIntegerField(
        _("remind non-respondents after (days)"),
        default=3,
        validators=[MaxValueValidator(60)],
        help_text=_("0: no reminder. One reminder at most."),
    )

    # Follow-up: the first-contact promise and what else opens a case.
    sla_clock = models.CharField(_("deadline clock"), max_length=20, choices=SlaClock.choices, default=SlaClock.ELAPSED)
    first_contact_days = models.PositiveSmallIntegerField(
        _("first-contact deadline (business days)"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_("Used when the clock counts business days."),
    )
    business_calendar = models.ForeignKey(
        "followups.BusinessCalendar",
        verbose_name=_("business calendar"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="surveys",
        help_text=_("Opening hours and holidays; required by the business-hours and business-days clocks."),
    )
    warning_lead_hours = models.PositiveSmallIntegerField(
        _("warn the assignee (hours before the deadline)"), default=4, validators=[MaxValueValidator(24 * 7)]
    )
    passive_outreach = models.BooleanField(
        _("open an outreach case for passives"), default=False, help_text=_("With a 7-day deadline.")
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    # Set on every save, and when its brand is saved: each process keeps the survey with its brand
    # for its pages and checks this stamp, read with the link, to know it is still current
    # (surveys.selectors). A QuerySet.update() of surveys or brands must set it too.
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # A save of a few fields stamps the survey too: the pages check the stamp, not the fields.
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "updated_at" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "updated_at"]
        super().save(*args, **kwargs)

    @property
    def question_text(self) -> str:
        return self.question or DEFAULT_QUESTION % {"brand": self.brand.name}

    @property
    def embed_origin_list(self) -> list[str]:
        """The origins allowed to frame the public page, as the CSP frame-ancestors lists them."""
        return embed_origins_from_text(self.embed_origins)

    @property
    def comment_prompt_text(self) -> str:
        """The open question when the score is not known yet (no JavaScript)."""
        return self.comment_prompt or str(DEFAULT_COMMENT_PROMPT)

    def prompt_for(self, segment: str) -> str:
        custom = {
            Segment.DETRACTOR: self.prompt_detractor,
            Segment.PASSIVE: self.prompt_passive,
            Segment.PROMOTER: self.prompt_promoter,
        }[segment]
        return custom or str(DEFAULT_PROMPTS[segment])

    @property
    def segment_prompts(self) -> dict[str, str]:
        return {segment: self.prompt_for(segment) for segment in Segment.values}

    def thanks_for(self, segment: str) -> str:
        """The survey's own thank-you text for `segment`; empty for the standard wording."""
        return {
            Segment.DETRACTOR: self.thanks_detractor,
            Segment.PASSIVE: self.thanks_passive,
            Segment.PROMOTER: self.thanks_promoter,
        }[segment]

    def _text_in(self, name: str, language: str) -> str:
        """One language's own version of a translated text (no fallback), "" when empty."""
        return getattr(self, f"{name}_{language}", None) or ""

    @property
    def criteria_choices(self) -> list[str]:
        """The criteria options as stored on answers, whatever the page's language: the site
        language's lines (else the other language's). None when no criteria question is asked."""
        if not self.criteria_question:
            return []
        for language in dict.fromkeys([settings.LANGUAGE_CODE, *(code for code, _name in settings.LANGUAGES)]):
            lines = criteria_lines(self._text_in("criteria_options", language))
            if lines:
                return lines
        return criteria_lines(self.criteria_options)

    @property
    def criteria_labels(self) -> list[tuple[str, str]]:
        """(stored value, label in the active language) for each option: same position, same option."""
        values = self.criteria_choices
        labels = criteria_lines(self.criteria_options)
        if len(labels) != len(values):
            labels = values
        return list(zip(values, labels, strict=True))

    def missing_translations(self) -> dict[str, list[str]]:
        """For each language, the customer texts written in another language but not in this one."""
        from surveys.translation import CUSTOMER_TEXT_FIELDS

        languages = [code for code, _name in settings.LANGUAGES]
        missing = {language: [] for language in languages}
        for name in CUSTOMER_TEXT_FIELDS:
            written = {language: bool(self._text_in(name, language).strip()) for language in languages}
            if any(written.values()):
                for language in languages:
                    if not written[language]:
                        missing[language].append(name)
        return {language: names for language, names in missing.items() if names}

    def clean(self) -> None:
        super().clean()
        if self.sla_clock != SlaClock.ELAPSED and self.business_calendar_id is None:
            raise ValidationError(
                {"business_calendar": _("A business-hours or business-days deadline needs a business calendar.")}
            )
        if self.criteria_question and not self.criteria_choices:
            raise ValidationError({"criteria_options": _("Give at least one option for the criteria question.")})
        counts = {
            code: len(criteria_lines(self._text_in("criteria_options", code))) for code, _name in settings.LANGUAGES
        }
        if len({count for count in counts.values() if count}) > 1:
            raise ValidationError(
                {
                    f"criteria_options_{code}": _(
                        "Give the same options in each language, in the same order: one line each."
                    )
                    for code in counts
                }
            )
        if self.is_anonymous and self.pk is not None and self.has_identified_answers():
            raise ValidationError(
                {
                    "is_anonymous": _(
                        "This survey already has answers linked to customers, given without a promise of "
                        "anonymity: create a new anonymous survey instead."
                    )
                }
            )

    def has_identified_answers(self) -> bool:
        """Whether an answer of this survey names its customer, invitation or email address."""
        identified = models.Q(customer__isnull=False) | models.Q(invitation__isnull=False) | ~models.Q(contact_email="")
        return self.responses.filter(identified).exists()


class Invitation(models.Model):
    """A personal survey link for one customer."""

    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="invitations")
    customer = models.ForeignKey(
        "crm.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="invitations"
    )
    token = models.CharField(verbose_name=_("token"), max_length=64, unique=True, default=new_token, editable=False)
    channel = models.CharField(verbose_name=_("channel"), max_length=20, choices=Channel.choices, default=Channel.EMAIL)
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(verbose_name=_("expires at"), default=default_expiry)
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        verbose_name=_("campaign"),
        on_delete=models.SET_NULL,
        related_name="invitations",
    )
    language = models.CharField(
        verbose_name=_("language"), max_length=8, blank=True, help_text=_("The language of the email and survey page.")
    )
    delivery_status = models.CharField(
        _("delivery"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED, db_index=True
    )
    delivery_attempts = models.PositiveSmallIntegerField(verbose_name=_("delivery attempts"), default=0)
    # When a campaign batch last claimed it for sending: a lease (campaigns.services.SENDING_LEASE)
    # that stops any other run from sending it until it runs out.
    claimed_at = models.DateTimeField(verbose_name=_("claimed for sending at"), null=True, blank=True, editable=False)
    failure_reason = models.CharField(_("failure reason"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("page opened at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)
    # Set when the link is made: it re-surveys the customer of a resolved case, so its answer
    # always goes to the follow-up hook (the case records the score after recovery).
    is_resurvey = models.BooleanField(_("re-survey after a case"), default=False, editable=False)
    # Set when an API caller asked to invite despite contact fatigue (a write token, explicitly):
    # which token did it, for the record.
    fatigue_bypassed_by = models.CharField(_("contact fatigue bypassed by"), max_length=200, blank=True, editable=False)
    # Whether the link was used to answer: on an anonymous survey this flag is all that is kept
    # (the answer names no invitation), so "one answer per link" is a conditional UPDATE of it.
    answered = models.BooleanField(_("answered"), default=False, editable=False)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        indexes = [models.Index(fields=["customer", "created_at"])]

    def __str__(self) -> str:
        return f"{self.survey} → {self.customer}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def url(self) -> str:
        from django.urls import reverse

        return settings.SITE_URL + reverse("surveys:respond", args=[self.token])


class Response(models.Model):
    public_id = models.UUIDField(verbose_name=_("public id"), default=uuid.uuid4, unique=True, editable=False)
    # Indexed by (survey, submitted_at), which leads with it.
    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), on_delete=models.PROTECT, related_name="responses", db_index=False
    )
    # One response per invitation: a second submit of the same link cannot create another.
    invitation = models.OneToOneField(
        Invitation,
        null=True,
        blank=True,
        verbose_name=_("invitation"),
        on_delete=models.SET_NULL,
        related_name="response",
    )
    # Indexed by response_by_customer, which leads with it.
    customer = models.ForeignKey(
        "crm.Customer",
        null=True,
        blank=True,
        verbose_name=_("customer"),
        on_delete=models.SET_NULL,
        related_name="responses",
        db_index=False,
    )
    channel = models.CharField(verbose_name=_("channel"), max_length=20, choices=Channel.choices, default=Channel.EMAIL)
    score = models.PositiveSmallIntegerField(
        _("score"), validators=[MinValueValidator(scoring.SCORE_MIN), MaxValueValidator(scoring.SCORE_MAX)]
    )
    comment = models.TextField(_("comment"), blank=True, validators=[MaxLengthValidator(COMMENT_MAX_LENGTH)])
    language = models.CharField(verbose_name=_("language"), max_length=8, blank=True)
    criteria = models.JSONField(_("criteria chosen"), default=list, blank=True)
    csat = models.PositiveSmallIntegerField(
        _("satisfaction (1–5)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    # The shop whose poster the answer came from (channel "in store"); set only from a signed
    # label in the poster's QR code, so a respondent cannot make one up.
    location = models.CharField(_("location"), max_length=LOCATION_MAX_LENGTH, blank=True)
    contact_email = models.EmailField(
        _("email given on the public form"), blank=True, help_text=_("Only for answers without an invitation.")
    )
    submitted_at = models.DateTimeField(verbose_name=_("submitted at"), default=timezone.now, db_index=True)
    corrected_at = models.DateTimeField(_("last corrected at"), null=True, blank=True)
    # Copied from the invitation when the answer is recorded: a recovery re-survey answer measures
    # the follow-up, not the customer base, so the NPS leaves it out unless asked. Kept on the row
    # so that it survives the invitation (deleted with an erased customer).
    is_resurvey = models.BooleanField(_("recovery re-survey answer"), default=False, editable=False)
    # Anonymous surveys only: the SHA-256 of a random key kept in the respondent's browser (a
    # cookie scoped to their link), the one way back to the answer for its correction window.
    # Without the key the digest leads nowhere. Indexed only where set (Meta): a named answer,
    # most of them, writes no index entry for it.
    correction_digest = models.CharField(verbose_name=_("correction digest"), max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        ordering = ["-submitted_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=scoring.SCORE_MIN, score__lte=scoring.SCORE_MAX),
                name="response_score_0_10",
            ),
        ]
        indexes = [
            models.Index(fields=["survey", "submitted_at"]),
            # A customer's answers in time order, carrying what the NPS counts: a CRM-filtered
            # dashboard (a region's customers, say) reads their answers from the index alone.
            models.Index(
                fields=["customer", "submitted_at"],
                include=["id", "survey", "channel", "score", "is_resurvey"],
                name="response_by_customer",
            ),
            models.Index(
                fields=["correction_digest"],
                condition=~models.Q(correction_digest=""),
                name="response_correction_digest",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.score} – {self.survey}"

    @property
    def segment(self):
        return scoring.segment_for(self.score)

    @property
    def is_critical(self) -> bool:
        return scoring.is_critical(self.score)

    @property
    def correctable_until(self):
        return self.submitted_at + CORRECTION_WINDOW

    @property
    def is_correctable(self) -> bool:
        """Whether the respondent may still change this answer from their link."""
        reachable = self.invitation_id is not None or bool(self.correction_digest)
        return reachable and timezone.now() < self.correctable_until


class ResponseRevision(models.Model):
    """What a response said before its respondent corrected it (the response holds the latest)."""

    # PROTECT: an answer's earlier versions are part of its history; erasure redacts them instead.
    response = models.ForeignKey(Response, on_delete=models.PROTECT, related_name="revisions")
    score = models.PositiveSmallIntegerField(_("score"))
    comment = models.TextField(_("comment"), blank=True)
    criteria = models.JSONField(_("criteria chosen"), default=list, blank=True)
    csat = models.PositiveSmallIntegerField(_("satisfaction (1–5)"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), help_text=_("When this earlier answer was given."))
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("earlier answer")
        verbose_name_plural = _("earlier answers")
        ordering = ["response", "changed_at"]

    def __str__(self) -> str:
        return f"{self.score} (until {self.changed_at:%Y-%m-%d %H:%M})"


class Theme(models.Model):
    """A reason customers give (delivery, price, support…), tagged by hand or by keyword rules."""

    name = models.CharField(_("name (English)"), max_length=100, unique=True)
    name_fr = models.CharField(_("name (French)"), max_length=100, blank=True)
    keywords_en = models.TextField(
        _("English keywords"),
        blank=True,
        help_text=_("One word or phrase per line; a comment containing one gets the theme."),
    )
    keywords_fr = models.TextField(_("French keywords"), blank=True, help_text=_("One word or phrase per line."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """The name in the active language: French when set, else English."""
        if (get_language() or "").split("-")[0] == "fr" and self.name_fr:
            return self.name_fr
        return self.name


class ThemeSource(models.TextChoices):
    MANUAL = "manual", _("Tagged by staff")
    RULE = "rule", _("Keyword rule")
    MEANING = "meaning", _("Matched by meaning")


class ResponseTheme(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="theme_links")
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="response_links")
    source = models.CharField(max_length=10, choices=ThemeSource.choices)
    tagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["response", "theme"], name="response_theme_once")]
        indexes = [models.Index(fields=["theme", "response"])]

    def __str__(self) -> str:
        return f"{self.theme} ({self.get_source_display()})"


# How many ids behind a cursor a reader re-reads: ids are assigned before commit, so a slow
# transaction can commit a lower id after a higher one has been read.
ID_OVERLAP = 1000


class RollupCursor(models.Model):
    """How far a reader of new answers (the NPS roll-up, theme tagging) has read the responses table (by id)."""

    name = models.CharField(max_length=50, unique=True)
    last_response_id = models.BigIntegerField(default=0)
    # Corrections change the score of a response already counted: their revisions are read too.
    last_revision_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} at response {self.last_response_id}"
