"""Loading and deleting the demo data, through the services a real install runs.

`demo_load` replays the plan (demo/plan.py) in time order under a moving clock (time-machine):
each invitation is made by `invitation_create` at its moment, each answer given through
`response_submit` (the service behind the survey page), whose follow-up hook opens the
detractors' cases when the answer commits, as it does for a customer; the staff's steps on a
case go through the follow-up services, the deadline beat and the recovery re-survey rule run
at the moments they would have run. So every audit row, deadline, frozen figure and re-survey
is written by the code that writes them in production, dated when it happened.

During the load Celery runs eagerly (the hook runs at the answer's moment, and nothing goes to
a broker), and email goes to Django's in-memory backend: the demo's customers and staff get
no mail.
"""

from __future__ import annotations

import heapq
import itertools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.test.utils import override_settings
from django.utils import timezone

from conversations.models import Message
from conversations.services import customer_reply_receive, message_reply_send
from crm.models import Customer, Purchase
from crm.services.activity import customer_events_create_many, purchases_create_many
from crm.services.customers import customers_upsert_many
from customerview.atrisk_services import risk_refresh_all
from demo import plan as demo
from followups.choices import ContactChannel, TicketStatus
from followups.models import BusinessCalendar, Holiday, OpeningHours, Team, Ticket, TicketEvent
from followups.notifications import notifications_send_digest
from followups.services import (
    ticket_add_note,
    ticket_assign,
    ticket_mark_contacted,
    ticket_mark_reply_read,
    ticket_resolve,
    ticket_set_status,
    tickets_check_deadlines,
)
from npsapp.celery import app as celery_app
from reporting import rollup
from surveys import scoring
from surveys import services as survey_services
from surveys.choices import Segment
from surveys.models import Brand, Invitation, Response, ResponseRevision, Survey, Theme
from triggers.services import triggers_evaluate

DEMO_PASSWORD = "demo"  # noqa: S105 - demo logins only, printed by demo_links on purpose
# The deadline beat is replayed up to this long before the load: what falls due now (the case
# about to breach) is the live beat's, so the demo shows it being warned and breached.
LIVE_BEAT_FROM = timedelta(hours=4)
BEAT_LAG = timedelta(minutes=1)  # the beat runs every minute: it sees a deadline within one


class DemoDataError(Exception):
    """The database cannot take the demo data (already loaded, or other data in it)."""


# --- Load ---------------------------------------------------------------------------------------


def demo_load(*, seed: int, now: datetime | None = None) -> Brand:
    """Load the demo into an empty database (DemoDataError otherwise). All or nothing: if the
    replay fails halfway, what it wrote is deleted again."""
    now = now or timezone.now()
    if connection.in_atomic_block:
        # Each step must commit at its moment, for what runs on commit (the follow-up hook) to run then.
        raise DemoDataError("Demo data loads outside a transaction: each step of its replay commits.")
    demo_require_empty()
    try:
        with _offline_side_effects():
            brand = _load(seed=seed, now=now)
    except BaseException:
        demo_delete()
        raise
    return brand


def _load(*, seed: int, now: datetime) -> Brand:
    tz = timezone.get_current_timezone()
    plan = demo.build_plan(seed=seed, now=now, tz=tz, fatigue_days=settings.NPSAPP_CONTACT_FATIGUE_DAYS)
    with transaction.atomic():
        users = _create_users()
        brand, surveys = _create_surveys(users)
        customers = _load_customers(plan, users)
    cases = _Replay(plan=plan, customers=customers, surveys=surveys, users=users, now=now).run()
    _live_showcase({key: cases[id(spec)] for key, spec in plan.showcase.cases.items()}, users)
    with transaction.atomic():
        customer_events_create_many(
            rows=[
                {
                    "customer_external_id": customers[event.customer].external_id,
                    "kind": event.kind,
                    "occurred_at": event.occurred_at.isoformat(),
                    "details": event.details,
                }
                for event in plan.showcase.events
            ]
        )
        for name, name_fr, keywords_en, keywords_fr in demo.THEMES:
            Theme.objects.get_or_create(
                name=name, defaults={"name_fr": name_fr, "keywords_en": keywords_en, "keywords_fr": keywords_fr}
            )
        # The beat's work on answers that arrived all at once: themes by keyword, the daily roll-up.
        survey_services.responses_tag_new_with_themes()
        rollup.rollup_rebuild()
    # The nightly work on customers, done now: at-risk flags as of today, not as of the replay's clock.
    risk_refresh_all()
    return brand


@contextmanager
def _offline_side_effects() -> Iterator[None]:
    """Tasks run in this process when their transaction commits, mail stays in memory, and the
    replay's many small commits do not each wait for the disk (a crash midway means --reset)."""
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.task_eager_propagates
    conf.task_always_eager = conf.task_eager_propagates = True
    _commits_without_flush(True)
    task_log = logging.getLogger("celery.app.trace")  # a line per task run: thousands here
    level = task_log.level
    task_log.setLevel(logging.WARNING)
    try:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            yield
    finally:
        task_log.setLevel(level)
        _commits_without_flush(False)
        conf.task_always_eager, conf.task_eager_propagates = saved


def _commits_without_flush(on: bool) -> None:
    """This connection's commits return before reaching the disk (SQLite, PostgreSQL), or again wait."""
    statement = {
        "sqlite": "PRAGMA synchronous = " + ("OFF" if on else "FULL"),
        "postgresql": "SET synchronous_commit = " + ("off" if on else "DEFAULT"),
    }.get(connection.vendor)
    if statement and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(statement)


class _Replay:
    """The year in time order: invitations, answers, the staff's steps and the beats, each at its
    moment under a frozen clock, each in its own transaction so that what happens on commit
    (the follow-up hook, deliveries) happens then too."""

    def __init__(self, *, plan: demo.DemoPlan, customers, surveys, users, now: datetime):
        self.plan, self.customers, self.surveys, self.users, self.now = plan, customers, surveys, users, now
        self.users_by_id = {user.pk: user for user in users.values()}
        self.queue: list = []
        self.order = itertools.count()
        self.invitations: dict[int, Invitation] = {}  # by id() of the InvitationSpec
        self.cases: dict[int, Ticket] = {}  # by id() of the ResponseSpec
        self.emails: dict[int, Message] = {}  # the last email written on each case, by case id
        self.beat_until = now - LIVE_BEAT_FROM
        self.trigger_beats: set[datetime] = set()

    def at(self, moment: datetime, action: Callable[[], None]) -> None:
        heapq.heappush(self.queue, (moment, next(self.order), action))

    def run(self) -> dict[int, Ticket]:
        """Replay the plan; returns the cases by id() of the answer that opened them."""
        answers = self.plan.responses + list(self.plan.showcase.cases.values())
        for spec in answers:
            if spec.resurvey_of is None:  # a re-survey's invitation is the recovery rule's
                self.at(spec.invitation.invited_at, lambda s=spec.invitation: self.invite(s))
            self.at(spec.submitted_at, lambda s=spec: self.answer(s))
        for spec in self.plan.pending:
            self.at(spec.invited_at, lambda s=spec: self.invite(s))
        start = min(moment for moment, *_ in self.queue) - timedelta(minutes=1)
        # The year's invitations are a fortnight apart for each customer (the plan sees to it),
        # denser than the site's contact fatigue: the gate is replayed with no fatigue window.
        with (
            override_settings(NPSAPP_CONTACT_FATIGUE_DAYS=0),
            time_machine.travel(start, tick=False) as clock,
        ):
            while self.queue:
                moment, _, action = heapq.heappop(self.queue)
                clock.move_to(moment, tick=False)
                with transaction.atomic():
                    action()
            notifications_send_digest(now=self.now)
        return self.cases

    # The customers' side.

    def invite(self, spec: demo.InvitationSpec) -> None:
        self.invitations[id(spec)] = survey_services.invitation_create(
            survey=self.surveys[spec.survey], customer=self.customers[spec.customer], created_at=timezone.now()
        )

    def answer(self, spec: demo.ResponseSpec) -> None:
        if spec.resurvey_of is None:
            invitation = self.invitations[id(spec.invitation)]
        else:
            # The recovery rule's beat sent the re-survey link, as the plan expects.
            case = self.cases[id(spec.resurvey_of)]
            case.refresh_from_db(fields=["resurvey_invitation"])
            invitation = case.resurvey_invitation
        response = survey_services.response_submit(
            invitation=invitation, score=spec.score, comment=spec.comment, language=spec.language
        )
        if scoring.segment_for(spec.score) != Segment.DETRACTOR:
            return
        # The follow-up hook runs when the answer commits: its case is there after this transaction.
        transaction.on_commit(lambda: self.follow(spec, response))

    # The staff's side.

    def follow(self, spec: demo.ResponseSpec, response: Response) -> None:
        ticket = Ticket.objects.select_related("survey").get(response=response)
        self.cases[id(spec)] = ticket
        for step in spec.case.steps if spec.case is not None else ():
            self.at(step.at, lambda s=step: self.step(ticket, s))
        # The deadline beat runs every minute in production; here only when it has something to
        # do for this case: before its clock stops (first contact or resolution), if ever.
        steps = spec.case.steps if spec.case is not None else []
        stops = [step.at for step in steps if step.action in ("contact", "resolve")]
        lead = timedelta(hours=ticket.survey.warning_lead_hours)
        for moment in (ticket.first_contact_due_at - lead, ticket.first_contact_due_at):
            beat = moment + BEAT_LAG
            if beat < self.beat_until and (not stops or min(stops) > beat):
                self.at(beat, self.deadline_beat)
        if spec.case is not None and spec.case.resolved_at is not None:
            sent_at = demo.resurvey_sent_at(spec.case.resolved_at, timezone.get_current_timezone())
            if sent_at < self.now and sent_at not in self.trigger_beats:
                self.trigger_beats.add(sent_at)
                self.at(sent_at, self.trigger_beat)

    def step(self, ticket: Ticket, step: demo.CaseStep) -> None:
        actor = self.users[step.actor] if step.actor else self.users_by_id.get(ticket.assignee_id)
        actor = actor or self.users[demo.MANAGER]
        if step.action == "reassign":
            ticket_assign(ticket=ticket, actor=self.users[demo.MANAGER], assignee=actor)
        elif step.action == "email":
            subject, body = step.body.split("\n", 1)
            body = body.format(first_name=ticket.customer.first_name, agent=actor.first_name)
            self.emails[ticket.id] = message_reply_send(ticket=ticket, actor=actor, subject=subject, body=body)
        elif step.action == "customer_reply":
            customer_reply_receive(message=self.emails[ticket.id], body=step.body)
        elif step.action == "read":
            ticket_mark_reply_read(ticket=ticket, actor=actor)
        elif step.action == "contact":
            ticket_mark_contacted(ticket=ticket, actor=actor, channel=step.channel, body=step.body)
        elif step.action == "note":
            ticket_add_note(ticket=ticket, actor=actor, body=step.body)
        elif step.action == "wait":
            ticket_set_status(ticket=ticket, actor=actor, status=TicketStatus.WAITING)
        elif step.action == "resolve":
            ticket_resolve(ticket=ticket, actor=actor, outcome=step.outcome, body=step.body)
        else:
            raise ValueError(f"unknown demo step {step.action!r}")

    # The beat.

    def deadline_beat(self) -> None:
        now = timezone.now()
        tickets_check_deadlines(now=now)
        notifications_send_digest(now=now)

    def trigger_beat(self) -> None:
        triggers_evaluate(now=timezone.now())


def _live_showcase(tickets: dict[str, Ticket], users) -> None:
    """The live cases, taken on now by the same services as the inbox's buttons (their answers
    were given in the replay, which opened them)."""
    manager = users[demo.MANAGER]
    agent1, agent2 = (users[username] for username in demo.AGENTS)
    with transaction.atomic():
        ticket_assign(ticket=tickets["about_to_breach"], actor=manager, assignee=agent1)
    with transaction.atomic():
        waiting = ticket_assign(ticket=tickets["waiting"], actor=manager, assignee=agent2)
        contacted_at = waiting.response.submitted_at + timedelta(hours=3)
        ticket_mark_contacted(
            ticket=waiting, actor=agent2, channel=ContactChannel.PHONE, body=demo.WAITING_CONTACT_NOTE, at=contacted_at
        )
        ticket_set_status(ticket=waiting, actor=agent2, status=TicketStatus.WAITING)
    with transaction.atomic():
        replied = ticket_assign(ticket=tickets["replied"], actor=manager, assignee=agent1)
        message = message_reply_send(
            ticket=replied,
            actor=agent1,
            subject=demo.REPLY_SUBJECT,
            body=demo.REPLY_BODY.format(first_name=replied.customer.first_name),
        )
        ticket_set_status(ticket=replied, actor=agent1, status=TicketStatus.WAITING)
    with transaction.atomic():
        customer_reply_receive(message=message, body=demo.CUSTOMER_REPLY)


def _create_users() -> dict:
    users, password_hash = {}, None
    for username, first_name, last_name, role in demo.STAFF:
        is_admin = role == "admin"
        user = get_user_model()(
            username=username,
            first_name=first_name,
            last_name=last_name,
            email=demo.staff_email(first_name, last_name),
            is_staff=is_admin,
            is_superuser=is_admin,
        )
        if password_hash is None:
            user.set_password(DEMO_PASSWORD)
            password_hash = user.password
        else:
            # Same password: reuse the hash rather than pay a full key derivation per user.
            user.password = password_hash
        user.save()
        user.groups.add(Group.objects.get(name=role))
        users[username] = user
    return users


def _create_surveys(users) -> tuple[Brand, dict[str, Survey]]:
    """The brand, its two surveys (each with its recovery re-survey rule) and the care team."""
    brand = Brand.objects.create(name=demo.BRAND_NAME, colour=demo.BRAND_COLOUR)
    team = Team.objects.create(name=demo.TEAM_NAME)
    team.members.add(*(users[username] for username in demo.AGENTS))
    surveys = {
        key: Survey.objects.create(brand=brand, name=name, first_contact_hours=hours, team=team)
        for key, (name, hours) in demo.SURVEYS.items()
    }
    # The post-purchase survey shows every option a survey page can have.
    Survey.objects.filter(pk=surveys[demo.POST_PURCHASE].pk).update(
        **demo.POST_PURCHASE_OPTIONS,
        updated_at=timezone.now(),  # the stamp the survey pages check
    )
    surveys[demo.POST_PURCHASE].refresh_from_db()
    for survey in surveys.values():
        survey_services.survey_created(survey=survey)
    _create_calendar()
    return brand, surveys


def _create_calendar() -> BusinessCalendar:
    """An office calendar, for surveys an admin switches to a business-hours deadline."""
    calendar = BusinessCalendar.objects.create(name=demo.CALENDAR_NAME, timezone="Europe/Paris")
    OpeningHours.objects.bulk_create(
        OpeningHours(calendar=calendar, weekday=weekday, opens=opens, closes=closes)
        for weekday in range(5)
        for opens, closes in demo.OPENING_HOURS
    )
    Holiday.objects.bulk_create(Holiday(calendar=calendar, day=day, name=name) for day, name in demo.HOLIDAYS)
    return calendar


def _load_customers(plan: demo.DemoPlan, users: dict) -> list[Customer]:
    """The CRM's customers and purchases, brought in as an install's import and API bring them."""
    report = customers_upsert_many(
        rows=[
            {
                "external_id": spec.external_id,
                "email": spec.email,
                "first_name": spec.first_name,
                "last_name": spec.last_name,
                "phone": spec.phone,
                "language": spec.language,
                "customer_since": spec.customer_since.isoformat(),
                "newsletter_subscribed": spec.newsletter_subscribed,
                "age_band": spec.age_band,
                "gender": spec.gender,
                "region": spec.region,
                "plan": spec.plan,
                "account_owner": spec.account_owner or "",
            }
            for spec in plan.customers
        ],
        actor=users[demo.MANAGER],
        source="demo",
    )
    if report.errors:
        raise DemoDataError(f"The demo's customers were refused: {report.errors[:3]}")
    by_external_id = {c.external_id: c for c in Customer.objects.filter(external_id__regex=demo.EXTERNAL_ID_REGEX)}
    customers = [by_external_id[spec.external_id] for spec in plan.customers]
    purchases_create_many(
        rows=[
            {
                "customer_external_id": customers[spec.customer].external_id,
                "purchased_at": spec.purchased_at.isoformat(),
                "amount": str(spec.amount),
                "product_category": spec.product_category,
                "channel": spec.channel,
            }
            for spec in plan.purchases
        ]
    )
    return customers


# --- Checks and delete --------------------------------------------------------------------------


def demo_is_loaded() -> bool:
    return Brand.objects.filter(name=demo.BRAND_NAME).exists()


def demo_require_empty() -> None:
    if demo_is_loaded():
        raise DemoDataError(
            f'Demo data is already loaded (the brand "{demo.BRAND_NAME}" exists). '
            "Run with --reset to delete it and load it again."
        )
    if Customer.objects.exists() or Response.objects.exists():
        raise DemoDataError(
            "This database already holds customers or responses: demo data loads only into an empty one."
        )
    usernames = [username for username, *_ in demo.STAFF]
    taken = sorted(get_user_model().objects.filter(username__in=usernames).values_list("username", flat=True))
    if taken:
        raise DemoDataError(f"These users already exist and are not demo users: {', '.join(taken)}.")


@transaction.atomic
def demo_delete() -> None:
    """Delete the demo's own rows, and nothing else."""
    surveys = Survey.objects.filter(brand__name=demo.BRAND_NAME)
    # A case's history is protected from cascades (deleting a case or an answer is refused while
    # it has them), so the demo's cases lose theirs explicitly first.
    tickets = Ticket.objects.filter(survey__in=surveys)
    Message.objects.filter(ticket__in=tickets).delete()
    TicketEvent.objects.filter(ticket__in=tickets).delete()
    tickets.delete()
    ResponseRevision.objects.filter(response__survey__in=surveys).delete()
    Response.objects.filter(survey__in=surveys).delete()
    Invitation.objects.filter(survey__in=surveys).delete()
    surveys.delete()
    BusinessCalendar.objects.filter(name=demo.CALENDAR_NAME).delete()  # its hours and holidays go with it
    Brand.objects.filter(name=demo.BRAND_NAME).delete()
    Team.objects.filter(name=demo.TEAM_NAME).delete()
    Theme.objects.filter(name__in=[name for name, *_ in demo.THEMES]).delete()
    customers = Customer.objects.filter(
        external_id__regex=demo.EXTERNAL_ID_REGEX, email__endswith=f"@{demo.CUSTOMER_EMAIL_DOMAIN}"
    )
    Purchase.objects.filter(customer__in=customers).delete()
    customers.delete()
    get_user_model().objects.filter(
        username__in=[username for username, *_ in demo.STAFF], email__endswith=f"@{demo.STAFF_EMAIL_DOMAIN}"
    ).delete()
