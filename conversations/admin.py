from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from conversations.models import LoopMessage, LoopRecipient, Message, ReplyTemplate


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "segment", "language", "is_default", "is_active", "updated_at")
    list_filter = ("segment", "language", "is_default", "is_active")
    search_fields = ("name", "subject", "body")
    fieldsets = (
        (None, {"fields": ("name", "segment", "language", "is_default", "is_active")}),
        (
            _("Text"),
            {
                "fields": ("subject", "body", "body_without_comment"),
                "description": _(
                    "Placeholders: {first_name} {last_name} {score} {comment} {brand} {agent_name} {reference} "
                    "{how_to_reply} (“simply reply to this email” when replies by email are set up, else "
                    "“use the link at the end of this email”). Anything else in braces is sent as typed."
                ),
            },
        ),
    )


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record of what was sent: written by the services only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Part of the cases' history: kept (erasure redacts the customer's words instead).
        return False


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "ticket", "direction", "kind", "subject", "delivery_status")
    list_filter = ("direction", "kind", "delivery_status", "channel")
    search_fields = ("subject", "email", "ticket__public_id")
    list_select_related = ("ticket__customer",)
    exclude = ("reply_token",)
    raw_id_fields = ("ticket", "in_reply_to", "loop_recipient", "author")


class LoopRecipientInline(admin.TabularInline):
    model = LoopRecipient
    fields = ("customer", "email", "language", "delivery_status", "failure_reason", "sent_at")
    readonly_fields = fields
    can_delete = False
    extra = 0
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(LoopMessage)
class LoopMessageAdmin(ReadOnlyAdmin):
    list_display = ("sent_at", "theme", "subject_en", "recipient_count", "sent_again_to_told", "sent_by")
    list_select_related = ("theme", "sent_by")
    exclude = ("key",)
    inlines = [LoopRecipientInline]
