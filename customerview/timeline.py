"""One customer's timeline: what they said (answers, messages), did (purchases, behaviour) and
what happened to their cases, merged newest first and paged with a cursor.

Each kind is one small query, limited to a page and ordered by time; the page is the merge of
those in Python. So a page costs at most one query per kind, whatever the customer's history.
The cursor is the last item shown, (time, kind, id), so items sharing a timestamp are never
skipped or shown twice across a page boundary.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from conversations.models import Message
from crm.models import Customer, CustomerEvent, Purchase
from followups.choices import EventKind as CaseEventKind
from followups.models import TicketEvent
from followups.selectors import responses_visible_to, tickets_visible_to

PAGE_SIZE = 25


class Kind:
    ANSWER = "answer"
    PURCHASE = "purchase"
    EVENT = "event"
    CASE = "case"
    MESSAGE = "message"


# In the order of the filter; the rank breaks ties between items of one instant (higher first).
KINDS = (
    (Kind.ANSWER, _("Answers")),
    (Kind.PURCHASE, _("Purchases")),
    (Kind.EVENT, _("Behaviour")),
    (Kind.CASE, _("Cases")),
    (Kind.MESSAGE, _("Messages")),
)
KIND_CODES = tuple(code for code, _label in KINDS)
RANK = {code: rank for rank, code in enumerate(reversed(KIND_CODES))}


@dataclass(frozen=True)
class Cursor:
    """Show what comes strictly after this point, newest first. Without kind and id: before `at`."""

    at: dt.datetime
    kind: str = ""
    id: int | None = None

    def encode(self) -> str:
        stamp = self.at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return f"{stamp}_{self.kind}_{self.id}" if self.kind else stamp

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        """A cursor from the URL; None for anything malformed (the page then starts at the newest)."""
        if not text:
            return None
        # A "+" typed in a URL arrives as a space.
        stamp, *rest = text.strip().replace(" ", "+").split("_")
        try:
            at = dt.datetime.fromisoformat(stamp)
        except ValueError:
            return None
        if timezone.is_naive(at):
            at = at.replace(tzinfo=dt.UTC)
        if not 1900 <= at.year <= 9000:
            return None  # shown on the page in local time: the ends of the calendar would overflow
        if not rest:
            return cls(at=at)
        if len(rest) != 2 or rest[0] not in RANK or not rest[1].isdigit():
            return None
        return cls(at=at, kind=rest[0], id=int(rest[1]))


# The case page links to the timeline from a day after the case opened: the agent sees the first
# contact and replies above the case's opening, and what led to it below.
AROUND_A_CASE = dt.timedelta(days=1)


def case_timeline_url(*, ticket) -> str:
    """The customer's timeline at `ticket`'s opening (an anchor on it), for the case page's CRM panel."""
    before = Cursor(at=ticket.opened_at + AROUND_A_CASE).encode()
    page = reverse("customerview:customer", args=[ticket.customer.public_id])
    return f"{page}?{urlencode({'before': before})}#case-{ticket.public_id}"


@dataclass
class TimelineItem:
    kind: str
    at: dt.datetime
    id: int
    obj: object

    @property
    def sort_key(self) -> tuple:
        return (self.at, RANK[self.kind], self.id)

    @property
    def day(self) -> dt.date:
        return timezone.localtime(self.at).date()

    @property
    def cursor(self) -> str:
        return Cursor(at=self.at, kind=self.kind, id=self.id).encode()


@dataclass
class TimelinePage:
    items: list[TimelineItem]
    kinds: tuple[str, ...]
    before: Cursor | None = None
    after: Cursor | None = None
    # The cursors of the pages either side ("" when there is nothing there).
    next_cursor: str = ""
    newer_cursor: str = ""

    @property
    def is_first(self) -> bool:
        return self.before is None and self.after is None


def parse_kinds(values) -> tuple[str, ...]:
    """The kinds asked for in the URL, in the filter's order; every kind when none (or none valid)."""
    asked = {value for value in values if value in RANK}
    return tuple(code for code in KIND_CODES if code in asked) or KIND_CODES


def _after(cursor: Cursor | None, kind: str, time_field: str) -> Q:
    """The rows of `kind` that come after `cursor` in the order (time, rank, id), newest first."""
    if cursor is None:
        return Q()
    if not cursor.kind:
        return Q(**{f"{time_field}__lt": cursor.at})
    rank, cursor_rank = RANK[kind], RANK[cursor.kind]
    if rank < cursor_rank:
        return Q(**{f"{time_field}__lte": cursor.at})
    if rank > cursor_rank:
        return Q(**{f"{time_field}__lt": cursor.at})
    return Q(**{f"{time_field}__lt": cursor.at}) | Q(**{time_field: cursor.at, "id__lt": cursor.id})


def _newer(cursor: Cursor, kind: str, time_field: str) -> Q:
    """The rows of `kind` that come before `cursor` in the order, i.e. newer: the mirror of `_after`."""
    if not cursor.kind:
        return Q(**{f"{time_field}__gte": cursor.at})
    rank, cursor_rank = RANK[kind], RANK[cursor.kind]
    if rank < cursor_rank:
        return Q(**{f"{time_field}__gt": cursor.at})
    if rank > cursor_rank:
        return Q(**{f"{time_field}__gte": cursor.at})
    return Q(**{f"{time_field}__gt": cursor.at}) | Q(**{time_field: cursor.at, "id__gt": cursor.id})


def _sources(customer: Customer, viewer) -> dict[str, tuple[QuerySet, str]]:
    """Per kind, the customer's rows `viewer` may see and their time field. No query runs here."""
    cases = tickets_visible_to(viewer).filter(customer=customer).values("id")
    return {
        Kind.ANSWER: (
            responses_visible_to(viewer).filter(customer=customer).select_related("survey"),
            "submitted_at",
        ),
        Kind.PURCHASE: (Purchase.objects.filter(customer=customer), "purchased_at"),
        Kind.EVENT: (CustomerEvent.objects.filter(customer=customer), "occurred_at"),
        # A case's opening and its status changes; notes and other fields stay on the case page.
        Kind.CASE: (
            TicketEvent.objects.filter(ticket__in=cases)
            .filter(Q(kind=CaseEventKind.OPENED) | Q(kind=CaseEventKind.FIELD_CHANGED, field="status"))
            .select_related("ticket"),
            "created_at",
        ),
        Kind.MESSAGE: (Message.objects.filter(ticket__in=cases).select_related("ticket"), "created_at"),
    }


def customer_timeline(
    *,
    customer: Customer,
    viewer,
    kinds: tuple[str, ...] = KIND_CODES,
    before: Cursor | None = None,
    after: Cursor | None = None,
    page_size: int = PAGE_SIZE,
) -> TimelinePage:
    """One page of the customer's timeline as `viewer` may see it: one query per kind asked for.

    The newest page; with `before`, the page of what is older than it; with `after`, the page
    of what is just newer (walking back up). Either way newest first.
    Another team's answers, cases and case messages stay out, as everywhere else (the visibility
    rule of followups.selectors). Anonymous answers have no customer, so never appear.
    """
    sources = _sources(customer, viewer)
    upwards = after is not None
    items: list[TimelineItem] = []
    for kind in kinds:
        queryset, time_field = sources[kind]
        if upwards:
            rows = queryset.filter(_newer(after, kind, time_field)).order_by(time_field, "id")
        else:
            rows = queryset.filter(_after(before, kind, time_field)).order_by(f"-{time_field}", "-id")
        items += [
            TimelineItem(kind=kind, at=getattr(row, time_field), id=row.id, obj=row) for row in rows[: page_size + 1]
        ]
    # Walking up: the page is the `page_size` items nearest above the cursor, the oldest of what is newer.
    items.sort(key=lambda item: item.sort_key, reverse=not upwards)
    more = len(items) > page_size
    shown = items[:page_size]
    if upwards:
        shown.reverse()
    page = TimelinePage(items=shown, kinds=kinds, before=None if upwards else before, after=after)
    if upwards:
        page.newer_cursor = shown[0].cursor if more else ""
        page.next_cursor = shown[-1].cursor if shown else ""
    else:
        page.next_cursor = shown[-1].cursor if more else ""
        # Something is newer than this page whenever it did not start at the top.
        if before is not None:
            page.newer_cursor = shown[0].cursor if shown else ""
    return page
