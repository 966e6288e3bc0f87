"""The inbox's filters, search and sort: read from the URL, so a filtered inbox can be bookmarked.

A value the form does not know (a stale bookmark, a hand-edited URL) is dropped, and the view
says so; the rest of the filters still apply.
"""

import django_filters
from django.utils.translation import gettext_lazy as _

from followups import selectors
from followups.choices import OPEN_STATUSES, TicketStatus
from followups.models import Team
from surveys.models import Survey

STATUS_OPEN = "open"
STATUS_ANY = "any"
STATUS_CHOICES = [
    (STATUS_OPEN, _("Open (new, contacted, waiting)")),
    *TicketStatus.choices,
    (STATUS_ANY, _("Any status")),
]
SORT_CHOICES = [
    ("deadline", _("First-contact deadline")),
    ("value", _("Customer value (spend, then tenure)")),
    ("newest", _("Opened, newest first")),
    ("oldest", _("Opened, oldest first")),
]
YES = [("1", _("Yes"))]


class InboxFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_search")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=STATUS_CHOICES, method="filter_status")
    mine = django_filters.ChoiceFilter(label=_("Assigned to me"), choices=YES, method="filter_mine")
    unassigned = django_filters.ChoiceFilter(label=_("Unassigned"), choices=YES, method="filter_unassigned")
    overdue = django_filters.ChoiceFilter(label=_("Overdue"), choices=YES, method="filter_overdue")
    due_soon = django_filters.ChoiceFilter(label=_("Due within 4 hours"), choices=YES, method="filter_due_soon")
    critical = django_filters.ChoiceFilter(label=_("Critical (score 0–3)"), choices=YES, method="filter_critical")
    replied = django_filters.ChoiceFilter(
        label=_("With an unread customer reply"), choices=YES, method="filter_replied"
    )
    survey = django_filters.ModelChoiceFilter(
        label=_("Survey"), queryset=Survey.objects.order_by("name"), field_name="survey", to_field_name="public_id"
    )
    team = django_filters.ModelChoiceFilter(label=_("Team"), queryset=Team.objects.order_by("name"), field_name="team")
    sort = django_filters.ChoiceFilter(label=_("Sort by"), choices=SORT_CHOICES, method="filter_sort")

    def __init__(self, data=None, *, queryset, user, now):
        self.user = user
        self.now = now
        super().__init__(data, queryset=queryset)
        for field in self.form.fields.values():
            field.required = False

    def filter_queryset(self, queryset):
        # The defaults: open cases, by deadline. Sorting comes last, after every filter.
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.filter(status__in=OPEN_STATUSES)
        queryset = super().filter_queryset(queryset)
        return selectors.inbox_order(queryset, self.form.cleaned_data.get("sort") or "deadline")

    @property
    def invalid_fields(self) -> list:
        """The labels of the filters whose value was not understood (and so is ignored)."""
        return [self.form.fields[name].label for name in self.form.errors]

    @property
    def active(self) -> dict:
        """The filters applied, without the search and sort (for the heading)."""
        data = getattr(self.form, "cleaned_data", {})
        return {name: value for name, value in data.items() if value and name not in ("q", "sort")}

    def filter_search(self, queryset, name, value):
        return queryset.filter(selectors.search_q(value))

    def filter_status(self, queryset, name, value):
        if value == STATUS_OPEN:
            return queryset.filter(status__in=OPEN_STATUSES)
        if value == STATUS_ANY:
            return queryset
        return queryset.filter(status=value)

    def filter_mine(self, queryset, name, value):
        return queryset.filter(assignee=self.user)

    def filter_unassigned(self, queryset, name, value):
        return queryset.filter(assignee__isnull=True)

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(selectors.overdue_q(self.now))

    def filter_due_soon(self, queryset, name, value):
        return queryset.filter(selectors.due_soon_q(self.now))

    def filter_critical(self, queryset, name, value):
        return queryset.filter(selectors.critical_q())

    def filter_replied(self, queryset, name, value):
        return queryset.filter(selectors.unread_reply_q())

    def filter_sort(self, queryset, name, value):
        return queryset  # applied last, in filter_queryset
