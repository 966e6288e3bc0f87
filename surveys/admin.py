from django.conf import settings
from django.contrib import admin, messages
from django.db import models
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TranslationAdmin

from npsapp.publish import publish
from surveys import services as survey_services
from surveys.models import Brand, Invitation, Response, ResponseRevision, Survey, Theme
from surveys.tasks import theme_reapply_rules_task


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    # The colour is checked by the model field (#rrggbb); the survey pages pick black or
    # white text for it, whichever reads better.
    list_display = ("name", "colour")


@admin.register(Survey)
class SurveyAdmin(TranslationAdmin):
    """Each customer text has one field per language; the page names the texts a language lacks."""

    list_display = (
        "name",
        "brand",
        "first_contact_hours",
        "is_anonymous",
        "public_form_enabled",
        "is_active",
        "missing_texts",
    )
    list_filter = ("brand", "is_active", "is_anonymous", "public_form_enabled")
    search_fields = ("name",)
    readonly_fields = ("public_id", "public_form_link", "embed_snippet", "poster_link", "missing_texts")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = (
        (None, {"fields": ("name", "brand", "team", "is_active", "is_anonymous", "missing_texts")}),
        (
            _("Questions"),
            {
                "fields": (
                    "question",
                    "comment_prompt",
                    "prompt_detractor",
                    "prompt_passive",
                    "prompt_promoter",
                    "criteria_question",
                    "criteria_options",
                    "criteria_multiple",
                    "csat_question",
                )
            },
        ),
        (
            _("Thank-you page"),
            {
                "fields": (
                    "thanks_detractor",
                    "thanks_passive",
                    "thanks_promoter",
                    "review_url",
                    "review_label",
                    "referral_url",
                    "referral_label",
                )
            },
        ),
        (_("Invitation email"), {"fields": ("email_subject", "email_body")}),
        (
            _("Distribution"),
            {
                "fields": (
                    "link_valid_days",
                    "contact_fatigue_days",
                    "reminder_after_days",
                    "public_form_enabled",
                    "public_id",
                    "public_form_link",
                    "embed_origins",
                    "embed_snippet",
                    "poster_link",
                )
            },
        ),
        (
            _("Follow-up"),
            {
                "fields": (
                    "sla_clock",
                    "first_contact_hours",
                    "first_contact_days",
                    "business_calendar",
                    "warning_lead_hours",
                    "passive_outreach",
                )
            },
        ),
    )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            survey_services.survey_created(survey=obj)

    @admin.display(description=_("missing translations"))
    def missing_texts(self, survey):
        """Texts written in one language but not the other: customers of that language read the
        other one there. Empty in both means the standard wording, translated: nothing is missing."""
        missing = survey.missing_translations() if survey is not None else {}
        if not missing:
            return _("None: every text is written in each language (or left to the standard wording).")
        names = dict(settings.LANGUAGES)
        return format_html_join(
            " ",
            "{}",
            (
                (
                    _("%(language)s: %(fields)s.")
                    % {
                        "language": names[language],
                        "fields": ", ".join(str(Survey._meta.get_field(name).verbose_name) for name in fields),
                    },
                )
                for language, fields in missing.items()
            ),
        )

    @admin.display(description=_("public feedback page"))
    def public_form_link(self, survey):
        if not survey.pk or not survey.public_form_enabled:
            return _("Not published.")
        return settings.SITE_URL + reverse("surveys:public_feedback", args=[survey.public_id])

    @admin.display(description=_("script tag for the company's site"))
    def embed_snippet(self, survey):
        if not survey.pk or not survey.public_form_enabled or not survey.embed_origin_list:
            return _("Publish the page and list the sites allowed to embed it.")
        src = settings.SITE_URL + reverse("surveys:embed_script", args=[survey.public_id])
        return format_html('<code>&lt;script src="{}" async&gt;&lt;/script&gt;</code>', src)

    @admin.display(description=_("poster for a shop"))
    def poster_link(self, survey):
        if not survey.pk or not survey.public_form_enabled:
            return _("Not published.")
        return format_html(
            '<a href="{}">{}</a>', reverse("surveys:poster", args=[survey.public_id]), _("Make a printable poster")
        )


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("survey", "customer", "channel", "created_at", "expires_at", "answered", "fatigue_bypassed_by")
    list_filter = ("survey", "channel", "answered")
    raw_id_fields = ("customer",)
    list_select_related = ("survey", "customer")
    readonly_fields = ("token", "answered", "fatigue_bypassed_by")
    search_fields = ("customer__email", "customer__last_name")


class ResponseRevisionInline(admin.TabularInline):
    model = ResponseRevision
    fields = ("score", "comment", "criteria", "csat", "answered_at", "changed_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    """Responses are what customers said: staff read them, nobody edits them here."""

    list_display = ("submitted_at", "survey", "customer", "score", "channel", "location")
    list_filter = ("survey", "channel", "score", "location")
    date_hierarchy = "submitted_at"
    search_fields = ("comment", "customer__email", "customer__last_name")
    list_select_related = ("survey", "customer")
    # The correction digest is a key's hash: of no use to staff, so not shown.
    readonly_fields = [f.name for f in Response._meta.fields if f.name != "correction_digest"]
    exclude = ("correction_digest",)
    inlines = [ResponseRevisionInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Erasure (customer admin, API) removes personal data and keeps the row; nothing deletes it.
        return False


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ("name", "name_fr", "is_active", "response_count")
    list_filter = ("is_active",)
    search_fields = ("name", "name_fr")
    actions = ("reapply_keyword_rules",)

    def get_queryset(self, request):
        # The count is one GROUP BY on the list page, not one query per row.
        return super().get_queryset(request).annotate(response_count=Count("response_links"))

    @admin.display(description=_("responses"), ordering="response_count")
    def response_count(self, theme):
        return theme.response_count

    @admin.action(description=_("Re-apply keyword rules"))
    def reapply_keyword_rules(self, request, queryset):
        theme_ids = list(queryset.values_list("id", flat=True))
        failed = sum(1 for theme_id in theme_ids if not publish(theme_reapply_rules_task, theme_id))
        sent = len(theme_ids) - failed
        if sent:
            self.message_user(
                request,
                ngettext(
                    "Keyword rules will be re-applied for %(count)d theme in the background.",
                    "Keyword rules will be re-applied for %(count)d themes in the background.",
                    sent,
                )
                % {"count": sent},
                messages.SUCCESS,
            )
        if failed:
            self.message_user(
                request,
                ngettext(
                    "%(count)d theme could not be queued: the task queue is unavailable. Try again later.",
                    "%(count)d themes could not be queued: the task queue is unavailable. Try again later.",
                    failed,
                )
                % {"count": failed},
                messages.WARNING,
            )
