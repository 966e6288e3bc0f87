from django.contrib import admin

from followups.models import BusinessCalendar, Holiday, OpeningHours, Team, Ticket, TicketEvent


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    can_delete = False
    readonly_fields = ("created_at", "actor", "kind", "field", "old_value", "new_value", "body")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Read-only here: changes go through the inbox so that each one is audited."""

    list_display = ("reference", "customer", "survey", "status", "priority", "assignee", "first_contact_due_at")
    list_filter = ("status", "priority", "kind", "survey", "outcome")
    list_select_related = ("customer", "survey", "assignee")
    search_fields = ("customer__email", "customer__last_name", "response__comment")
    inlines = [TicketEventInline]
    readonly_fields = [f.name for f in Ticket._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # No delete, one case or many (the bulk action goes too): the audit trail stays whole.
        return False


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 1


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 1


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    """When business-hours clocks run and when deadline emails may go out."""

    list_display = ("name", "timezone")
    search_fields = ("name",)
    inlines = [OpeningHoursInline, HolidayInline]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    """A survey routes its cases to a team; its members in the agent group take turns."""

    list_display = ("name",)
    search_fields = ("name",)
    filter_horizontal = ("members",)
