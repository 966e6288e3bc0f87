"""Reads over follow-up tickets: the inbox, one ticket, counts. No N+1."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from crm.models import Customer
from followups.choices import DONE_STATUSES, OPEN_STATUSES, Priority
from followups.models import AWAITING_FIRST_CONTACT_FIRST, Team, Ticket
from npsapp import roles
from surveys.models import Response, ResponseTheme
from surveys.selectors import DETRACTOR_Q, PASSIVE_Q

# "Due soon" in the inbox: the first-contact deadline falls within this window.
DUE_SOON = timedelta(hours=4)

# The inbox's sort orders; the deadline first by default (most urgent first).
INBOX_SORTS = {
    "deadline": (AWAITING_FIRST_CONTACT_FIRST.asc(), F("first_contact_due_at").asc(), F("id").asc()),
    # Customer value: the biggest spenders first, then the most loyal (oldest customers).
    "value": (
        F("customer__total_spend").desc(nulls_last=True),
        F("customer__customer_since").asc(nulls_last=True),
        F("first_contact_due_at").asc(),
        F("id").asc(),
    ),
    "newest": (F("opened_at").desc(), F("id").desc()),
    "oldest": (F("opened_at").asc(), F("id").asc()),
}


def overdue_q(now) -> Q:
    # A case waiting on the customer has its clock stopped: it cannot fall overdue meanwhile.
    return Q(
        status__in=OPEN_STATUSES,
        first_contacted_at__isnull=True,
        clock_paused_at__isnull=True,
        first_contact_due_at__lt=now,
    )


def deadline_counted_q(now) -> Q:
    """The cases "% first contact within deadline" counts (its denominator).

    Every case that was contacted (met or not, frozen at the contact), every case resolved or
    closed without a contact (a miss, frozen at the resolution), and every case past its
    deadline that nobody contacted (a miss). Only a case still inside its deadline and never
    contacted is left out: it can still go either way.
    """
    return Q(first_contact_met__isnull=False) | Q(status__in=DONE_STATUSES) | Q(first_contact_due_at__lt=now)


def deadline_met_q() -> Q:
    """The numerator: first contact at or before the deadline then in force (frozen)."""
    return Q(first_contact_met=True)


def due_soon_q(now) -> Q:
    """Open, not contacted yet, clock running, and due within the next four hours (not overdue yet)."""
    return Q(
        status__in=OPEN_STATUSES,
        first_contacted_at__isnull=True,
        clock_paused_at__isnull=True,
        first_contact_due_at__gte=now,
        first_contact_due_at__lt=now + DUE_SOON,
    )


def unread_reply_q() -> Q:
    """A customer wrote and no staff user who may work the case has opened it since."""
    return Q(customer_reply_unread_at__isnull=False)


def critical_q() -> Q:
    """Detractors who scored 0–3: the services open their cases with the high priority (no join)."""
    return Q(priority=Priority.HIGH)


def search_q(text: str) -> Q:
    """Every word of `text` in the customer's name or email, or in the comment.

    Each word looks in the customers and in the answers on their own (two subqueries), so
    PostgreSQL can use the trigram index of each table (migration 0010) instead of testing
    every case's joined rows.
    """
    condition = Q()
    for word in text.split():
        customers = Customer.objects.filter(
            Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word)
        ).values("id")
        answers = Response.objects.filter(comment__icontains=word).values("id")
        condition &= Q(customer_id__in=customers) | Q(response_id__in=answers)
    return condition


def tickets_of_responses(responses: QuerySet[Response]) -> QuerySet[Ticket]:
    """The follow-up cases of these answers: one query, the answers a subquery (never a list of ids)."""
    return Ticket.objects.filter(response__in=responses.values("id"))


def sees_every_team(user) -> bool:
    return roles.has_any_role(user, {roles.MANAGER, roles.ADMIN})


def tickets_visible_to(user) -> QuerySet[Ticket]:
    """Managers and admins see every case; an agent their teams' cases, theirs, and those of no team.

    Nobody (None: an API token whose creator was deleted) sees none.
    """
    if user is None or not roles.has_any_role(user, roles.CAN_WORK_CASES):
        return Ticket.objects.none()
    if sees_every_team(user):
        return Ticket.objects.all()
    # A subquery, not a list: no extra query, whatever the number of teams.
    return Ticket.objects.filter(
        Q(team__isnull=True) | Q(assignee=user) | Q(team__in=Team.objects.filter(members=user).values("id"))
    )


def responses_visible_to(user) -> QuerySet[Response]:
    """The answers `user` may read (score, comment, customer): the one rule for every staff page.

    Managers and admins read every answer. An agent reads an answer whose case they may see
    (tickets_visible_to); an answer without a case, when its survey has no team or one of
    theirs. Answers of another team's customers stay out of the customer page, the CRM panel,
    the at-risk list and the API.
    """
    if user is None or not roles.has_any_role(user, roles.CAN_WORK_CASES):
        return Response.objects.none()
    if sees_every_team(user):
        return Response.objects.all()
    my_teams = Team.objects.filter(members=user).values("id")
    return Response.objects.filter(
        Q(ticket__in=tickets_visible_to(user).values("id"))
        | Q(ticket__isnull=True, survey__team__isnull=True)
        | Q(ticket__isnull=True, survey__team__in=my_teams)
    )


def inbox_tickets(*, user) -> QuerySet[Ticket]:
    """What the inbox starts from: the visible tickets with everything a row shows joined in."""
    return tickets_visible_to(user).select_related("response", "customer", "assignee", "survey", "team")


# The value sort of the cases that have a customer: the order of the customers' index
# (crm migration 0007, total spend descending then tenure), so PostgreSQL walks it and reads each
# customer's cases by the customer_id index until a page is full, instead of joining and sorting
# every case. The spend is never NULL once the customer is joined (NOT NULL, default 0).
VALUE_OF_KNOWN_CUSTOMERS = (
    F("customer__total_spend").desc(),
    F("customer__customer_since").asc(nulls_last=True),
    F("first_contact_due_at").asc(),
    F("id").asc(),
)
# Cases without a customer (anonymous answers) come after every customer's, by deadline.
VALUE_OF_ANONYMOUS = (F("first_contact_due_at").asc(), F("id").asc())


class ValueSortedTickets:
    """The inbox sorted by customer value (INBOX_SORTS["value"]), for the Paginator.

    One ORDER BY over a LEFT JOIN of every visible case to its customer cannot walk an index:
    PostgreSQL joins and sorts every case the filters keep, to show 25 of them.
    The same order is two index-walkable parts: the cases of known customers (an inner join,
    walked from the customers' value index), then the cases without one. `count()` counts both
    parts in one query; a page reads one part, or both for the page where the first ends.
    """

    ordered = True

    def __init__(self, tickets: QuerySet[Ticket]):
        self.tickets = tickets.order_by()
        self._known_count = None

    def _known(self) -> QuerySet[Ticket]:
        # A condition on the customer's own column makes the join an inner one, which PostgreSQL
        # can drive from the customers' index (a test of customer_id alone keeps the LEFT JOIN).
        return self.tickets.filter(customer__total_spend__isnull=False).order_by(*VALUE_OF_KNOWN_CUSTOMERS)

    def _anonymous(self) -> QuerySet[Ticket]:
        return self.tickets.filter(customer__isnull=True).order_by(*VALUE_OF_ANONYMOUS)

    def count(self) -> int:
        # COUNT(customer_id) rather than a FILTER: PostgreSQL answers both from the customer_id index alone.
        counts = self.tickets.aggregate(all=Count("*"), known=Count("customer"))
        self._known_count = counts["known"]
        return counts["all"]

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice) or index.step is not None:
            raise TypeError("ValueSortedTickets takes a slice without a step")
        if self._known_count is None:
            self.count()
        known = self._known_count
        start, stop = index.start or 0, index.stop
        rows = []
        if start < known:
            rows += list(self._known()[start : known if stop is None else min(stop, known)])
        if stop is None or stop > known:
            rows += list(self._anonymous()[max(start - known, 0) : None if stop is None else stop - known])
        return rows

    def __iter__(self):
        return iter(self[0:None])


def inbox_order(tickets: QuerySet[Ticket], sort: str) -> QuerySet[Ticket] | ValueSortedTickets:
    if sort == "value":
        return ValueSortedTickets(tickets)
    return tickets.order_by(*INBOX_SORTS.get(sort, INBOX_SORTS["deadline"]))


def inbox_counts(*, user, now=None) -> dict:
    """The open cases the user sees, by quick filter, in one query."""
    now = now or timezone.now()
    return (
        tickets_visible_to(user)
        .filter(status__in=OPEN_STATUSES)
        .aggregate(
            open=Count("id"),
            mine=Count("id", filter=Q(assignee=user)),
            unassigned=Count("id", filter=Q(assignee__isnull=True)),
            overdue=Count("id", filter=overdue_q(now)),
            due_soon=Count("id", filter=due_soon_q(now)),
            replied=Count("id", filter=unread_reply_q()),
        )
    )


def ticket_for_user(*, user, public_id) -> Ticket:
    """The ticket if `user` may work it, else 404 (never reveal that it exists)."""
    ticket = (
        tickets_visible_to(user)
        .select_related("response__survey", "customer", "assignee", "survey", "team", "resurvey_invitation")
        .filter(public_id=public_id)
        .first()
    )
    if ticket is None:
        raise Http404
    return ticket


def assignable_agents(*, team: Team | None) -> QuerySet:
    """Who a case may be (re)assigned to: the team's active case workers, or every one of them."""
    users = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__name__in=roles.CAN_WORK_CASES) | Q(is_superuser=True))
    )
    if team is not None:
        users = users.filter(teams=team)
    return users.distinct().order_by("first_name", "last_name", "username")


# Audit values that name a person: stored as the username (stable), shown as the full name.
PERSON_FIELDS = ("assignee",)


def ticket_events(*, ticket: Ticket) -> list:
    """The timeline, oldest first. Each event gets `old_label`/`new_label`: the stored value, or for
    an assignee change the person's full name (else their username), looked up in one query."""
    events = list(ticket.events.select_related("actor").order_by("created_at", "id"))
    usernames = {value for e in events if e.field in PERSON_FIELDS for value in (e.old_value, e.new_value) if value}
    names = {}
    if usernames:
        for user in get_user_model().objects.filter(username__in=usernames).only("username", "first_name", "last_name"):
            names[user.username] = user.get_full_name() or user.username
    for event in events:
        person = event.field in PERSON_FIELDS
        event.old_label = names.get(event.old_value, event.old_value) if person else event.old_value
        event.new_label = names.get(event.new_value, event.new_value) if person else event.new_value
    return events


def ticket_counts(*, survey=None, now=None) -> dict:
    """Open and overdue tickets, one query."""
    now = now or timezone.now()
    tickets = Ticket.objects.all() if survey is None else Ticket.objects.filter(survey=survey)
    return tickets.aggregate(
        open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
        overdue=Count("id", filter=overdue_q(now)),
    )


def responses_missing_followup(*, submitted_before) -> QuerySet[Response]:
    """Answers whose hook never ran: a detractor without a case, a passive without the outreach case
    its survey asks for, a re-survey answer not yet recorded on its case."""
    unrecorded_resurvey = Exists(
        Ticket.objects.filter(resurvey_invitation_id=OuterRef("invitation_id"), resurvey_score__isnull=True)
    )
    return (
        Response.objects.filter(submitted_at__lt=submitted_before)
        .filter(
            (DETRACTOR_Q & Q(ticket__isnull=True))
            | (PASSIVE_Q & Q(survey__passive_outreach=True, ticket__isnull=True))
            | Q(unrecorded_resurvey)
        )
        .select_related("survey", "customer")
        .order_by("submitted_at")
    )


def ticket_theme_links(*, ticket: Ticket) -> list[ResponseTheme]:
    """The active themes of the case's response with who tagged them, one query, by display name."""
    links = (
        ResponseTheme.objects.filter(response_id=ticket.response_id, theme__is_active=True)
        .select_related("theme", "tagged_by")
        .order_by()
    )
    return sorted(links, key=lambda link: link.theme.label.casefold())
