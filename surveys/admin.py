from django.contrib import admin, messages
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from npsapp.publish import publish
from surveys.models import Brand, Invitation, Response, Survey, Theme
from surveys.tasks import theme_reapply_rules_task


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ("name", "colour")


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ("name", "brand", "first_contact_hours", "is_anonymous", "is_active")
    list_filter = ("brand", "is_active", "is_anonymous")
    search_fields = ("name",)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("survey", "customer", "channel", "created_at", "expires_at")
    list_filter = ("survey", "channel")
    raw_id_fields = ("customer",)
    list_select_related = ("survey", "customer")
    readonly_fields = ("token",)
    search_fields = ("customer__email", "customer__last_name")


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    """Responses are what customers said: staff read them, nobody edits them here."""

    list_display = ("submitted_at", "survey", "customer", "score", "channel")
    list_filter = ("survey", "channel", "score")
    date_hierarchy = "submitted_at"
    search_fields = ("comment", "customer__email", "customer__last_name")
    list_select_related = ("survey", "customer")
    readonly_fields = [f.name for f in Response._meta.fields]

    def has_add_permission(self, request):
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
