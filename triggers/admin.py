from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from triggers import selectors
from triggers.models import TriggerFire, TriggerRule


@admin.register(TriggerRule)
class TriggerRuleAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "survey",
        "kind",
        "delay_days",
        "send_any_time",
        "is_active",
        "sent",
        "skipped",
        "waiting",
    )
    list_filter = ("kind", "is_active", "survey")
    readonly_fields = ("outcomes", "created_at")
    fieldsets = (
        (None, {"fields": ("survey", "name", "kind", "delay_days", "is_active", "send_any_time")}),
        (_("Purchases"), {"fields": ("product_categories", "channels")}),
        (_("Customer events"), {"fields": ("event_kind",)}),
        (_("What it did"), {"fields": ("outcomes", "created_at")}),
    )

    def get_queryset(self, request):
        return selectors.rules_with_counts()

    @admin.display(description=_("sent"), ordering="sent_count")
    def sent(self, rule):
        return rule.sent_count

    @admin.display(description=_("skipped"), ordering="skipped_count")
    def skipped(self, rule):
        return rule.skipped_count

    @admin.display(description=_("waiting"), ordering="waiting_count")
    def waiting(self, rule):
        return rule.waiting_count

    @admin.display(description=_("sent, waiting and skipped (why)"))
    def outcomes(self, rule):
        if rule.pk is None:
            return "—"
        outcome = selectors.rule_outcomes(rule=rule)
        rows = [(_("Sent"), outcome["sent"]), (_("Waiting for the sending window"), outcome["waiting"])]
        rows += [(_("Skipped: %(reason)s") % {"reason": label}, n) for label, n in outcome["skipped"]]
        return format_html(
            "<table><tbody>{}</tbody></table>",
            format_html_join("", "<tr><td>{}</td><td>{}</td></tr>", rows),
        )


@admin.register(TriggerFire)
class TriggerFireAdmin(admin.ModelAdmin):
    list_display = ("rule", "customer", "due_at", "send_after", "status", "reason", "decided_at")
    list_filter = ("status", "reason", "rule")
    list_select_related = ("rule__survey", "customer")
    raw_id_fields = ("rule", "customer", "purchase", "ticket", "event", "invitation")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
