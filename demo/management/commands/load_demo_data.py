"""Load a year of realistic demo data (Maison Dupont) into an empty database.

The data itself is drawn in crm/demo.py; this command only writes it, in bulk, in one
transaction. Demo logins all use the password "demo": never run this on a real install.
"""

import time
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone

from conversations.services import customer_reply_receive, message_reply_send
from crm import demo
from crm.models import Customer, Purchase
from crm.services import customer_events_create_many, customers_refresh_total_spend
from followups import selectors as followup_selectors
from followups.choices import ContactChannel, EventKind, TicketStatus
from followups.models import BusinessCalendar, Holiday, OpeningHours, Team, Ticket, TicketEvent
from followups.services import (
    ticket_assign,
    ticket_mark_contacted,
    ticket_open_for_response,
    ticket_set_status,
)
from surveys import rollup, services
from surveys import selectors as survey_selectors
from surveys.choices import Channel
from surveys.models import Brand, Invitation, Response, ResponseRevision, Survey, Theme
from surveys.services import invitation_create

DEMO_PASSWORD = "demo"  # noqa: S105 - demo logins only, printed at the end on purpose
TICKET_HISTORY_FIELDS = [
    "opened_at",
    "status",
    "assignee",
    "first_contacted_at",
    "contact_channel",
    "resolved_at",
    "outcome",
]


class Command(BaseCommand):
    help = (
        "Load demo data into an empty database: staff logins, the Maison Dupont brand and two surveys, "
        f"{demo.CUSTOMER_COUNT} customers with purchases, {demo.RESPONSE_COUNT} responses over twelve months "
        "and the follow-up cases of the detractors. Every demo login has the password 'demo'."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=42, help="Random seed (default 42): same seed, same data.")
        parser.add_argument(
            "--reset", action="store_true", help="Delete previously loaded demo data first, then load it again."
        )
        parser.add_argument(
            "--skip-if-loaded",
            action="store_true",
            help="Do nothing (and succeed) when the database already holds data, demo or not: for `make run`.",
        )

    def handle(self, *args, seed: int, reset: bool, skip_if_loaded: bool, **options):
        if skip_if_loaded and not reset and (Brand.objects.exists() or Customer.objects.exists()):
            self.stdout.write("The database already holds data: demo data not loaded again.")
            return
        started = time.monotonic()
        now = timezone.now()
        with transaction.atomic():
            if reset:
                self._delete_demo()
            self._refuse_unless_empty()
            users = self._create_users()
            brand, surveys = self._create_surveys()
            plan = demo.build_plan(
                seed=seed,
                now=now,
                tz=timezone.get_current_timezone(),
                fatigue_days=settings.NPSAPP_CONTACT_FATIGUE_DAYS,
            )
            customers = self._load_customers(plan, users)
            responses = self._load_responses(plan, customers, surveys)
            self._load_tickets(plan, responses, users, brand)
            self._load_themes()
            self._load_team(users)
            self._load_showcase(plan.showcase, customers, surveys, users)
            # The beat keeps these up to date in production; demo rows arrive all at once.
            rollup.rollup_rebuild()
            services.responses_tag_new_with_themes()
        self._print_summary(brand, elapsed=time.monotonic() - started)

    def _load_showcase(self, showcase: demo.Showcase, customers: list[Customer], surveys, users) -> None:
        """The live cases, taken through the same services as the inbox's buttons, as of now.

        Their answers are in the past (the about-to-breach one just under its deadline ago), so
        they are written like the year's answers; the cases are opened, assigned, contacted,
        put on hold and answered by the follow-up and conversation services.
        """
        manager = users[demo.MANAGER]
        tickets = {}
        for key, spec in showcase.cases.items():
            invitation = invitation_create(
                survey=surveys[spec.invitation.survey],
                customer=customers[spec.invitation.customer],
                created_at=spec.invitation.invited_at,
            )
            response = Response.objects.create(
                survey=invitation.survey,
                invitation=invitation,
                customer=invitation.customer,
                channel=invitation.channel,
                score=spec.score,
                comment=spec.comment,
                language=spec.language,
                submitted_at=spec.submitted_at,
            )
            Invitation.objects.filter(id=invitation.id).update(answered=True)  # as the year's links are
            tickets[key] = ticket_open_for_response(response=response)
        agent1, agent2 = (users[username] for username in demo.AGENTS)
        ticket_assign(ticket=tickets["about_to_breach"], actor=manager, assignee=agent1)

        waiting = ticket_assign(ticket=tickets["waiting"], actor=manager, assignee=agent2)
        contacted_at = waiting.response.submitted_at + timedelta(hours=3)
        ticket_mark_contacted(
            ticket=waiting, actor=agent2, channel=ContactChannel.PHONE, body=demo.WAITING_CONTACT_NOTE, at=contacted_at
        )
        ticket_set_status(ticket=waiting, actor=agent2, status=TicketStatus.WAITING)

        replied = ticket_assign(ticket=tickets["replied"], actor=manager, assignee=agent1)
        message = message_reply_send(
            ticket=replied,
            actor=agent1,
            subject=demo.REPLY_SUBJECT,
            body=demo.REPLY_BODY.format(first_name=replied.customer.first_name),
        )
        ticket_set_status(ticket=replied, actor=agent1, status=TicketStatus.WAITING)
        customer_reply_receive(message=message, body=demo.CUSTOMER_REPLY)

        customer_events_create_many(
            rows=[
                {
                    "customer_external_id": customers[event.customer].external_id,
                    "kind": event.kind,
                    "occurred_at": event.occurred_at.isoformat(),
                    "details": event.details,
                }
                for event in showcase.events
            ]
        )

    def _load_team(self, users) -> None:
        team, _ = Team.objects.get_or_create(name=demo.TEAM_NAME)
        team.members.add(*(users[username] for username in demo.AGENTS))
        surveys = Survey.objects.filter(brand__name=demo.BRAND_NAME)
        surveys.update(team=team)
        Ticket.objects.filter(survey__in=surveys).update(team=team)

    def _load_themes(self) -> None:
        for name, name_fr, keywords_en, keywords_fr in demo.THEMES:
            Theme.objects.get_or_create(
                name=name, defaults={"name_fr": name_fr, "keywords_en": keywords_en, "keywords_fr": keywords_fr}
            )

    def _delete_demo(self) -> None:
        from conversations.models import Message

        surveys = Survey.objects.filter(brand__name=demo.BRAND_NAME)
        # The demo's own rows only. A case's history is protected from cascades (deleting a case
        # or an answer is refused while it has them), so the reset removes it explicitly first.
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

    def _refuse_unless_empty(self) -> None:
        if Brand.objects.filter(name=demo.BRAND_NAME).exists():
            raise CommandError(
                f'Demo data is already loaded (the brand "{demo.BRAND_NAME}" exists). '
                "Run with --reset to delete it and load it again."
            )
        if Customer.objects.exists() or Response.objects.exists():
            raise CommandError(
                "This database already holds customers or responses: demo data loads only into an empty one."
            )
        usernames = [username for username, *_ in demo.STAFF]
        taken = sorted(get_user_model().objects.filter(username__in=usernames).values_list("username", flat=True))
        if taken:
            raise CommandError(f"These users already exist and are not demo users: {', '.join(taken)}.")

    def _create_users(self) -> dict:
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

    def _create_surveys(self) -> tuple[Brand, dict[str, Survey]]:
        brand = Brand.objects.create(name=demo.BRAND_NAME, colour=demo.BRAND_COLOUR)
        surveys = {
            key: Survey.objects.create(brand=brand, name=name, first_contact_hours=hours)
            for key, (name, hours) in demo.SURVEYS.items()
        }
        # The post-purchase survey shows every option a survey page can have.
        Survey.objects.filter(pk=surveys[demo.POST_PURCHASE].pk).update(**demo.POST_PURCHASE_OPTIONS)
        surveys[demo.POST_PURCHASE].refresh_from_db()
        for survey in surveys.values():
            services.survey_created(survey=survey)
        self._create_calendar()
        return brand, surveys

    def _create_calendar(self) -> BusinessCalendar:
        """An office calendar, for surveys an admin switches to a business-hours deadline."""
        calendar = BusinessCalendar.objects.create(name=demo.CALENDAR_NAME, timezone="Europe/Paris")
        OpeningHours.objects.bulk_create(
            OpeningHours(calendar=calendar, weekday=weekday, opens=opens, closes=closes)
            for weekday in range(5)
            for opens, closes in demo.OPENING_HOURS
        )
        Holiday.objects.bulk_create(Holiday(calendar=calendar, day=day, name=name) for day, name in demo.HOLIDAYS)
        return calendar

    def _load_customers(self, plan: demo.DemoPlan, users: dict) -> list[Customer]:
        customers = Customer.objects.bulk_create(
            Customer(
                external_id=spec.external_id,
                email=spec.email,
                first_name=spec.first_name,
                last_name=spec.last_name,
                phone=spec.phone,
                language=spec.language,
                customer_since=spec.customer_since,
                newsletter_subscribed=spec.newsletter_subscribed,
                age_band=spec.age_band,
                gender=spec.gender,
                region=spec.region,
                plan=spec.plan,
                account_owner=users.get(spec.account_owner),
            )
            for spec in plan.customers
        )
        Purchase.objects.bulk_create(
            (
                Purchase(
                    customer=customers[spec.customer],
                    purchased_at=spec.purchased_at,
                    amount=spec.amount,
                    product_category=spec.product_category,
                    channel=spec.channel,
                )
                for spec in plan.purchases
            ),
            batch_size=1000,
        )
        customers_refresh_total_spend(customer_ids=[c.pk for c in customers])
        return customers

    def _load_responses(self, plan: demo.DemoPlan, customers, surveys) -> list[Response]:
        valid_for = timedelta(days=settings.NPSAPP_LINK_VALID_DAYS)
        specs = [response.invitation for response in plan.responses] + plan.pending
        invitations = Invitation.objects.bulk_create(
            (
                Invitation(
                    survey=surveys[spec.survey],
                    customer=customers[spec.customer],
                    channel=Channel.EMAIL,
                    created_at=spec.invited_at,
                    expires_at=spec.invited_at + valid_for,
                    answered=index < len(plan.responses),
                )
                for index, spec in enumerate(specs)
            ),
            batch_size=1000,
        )
        return Response.objects.bulk_create(
            (
                Response(
                    survey=invitation.survey,
                    invitation=invitation,
                    customer=invitation.customer,
                    channel=invitation.channel,
                    score=spec.score,
                    comment=spec.comment,
                    language=spec.language,
                    submitted_at=spec.submitted_at,
                )
                for spec, invitation in zip(plan.responses, invitations[: len(plan.responses)], strict=True)
            ),
            batch_size=1000,
        )

    def _load_tickets(self, plan: demo.DemoPlan, responses: list[Response], users: dict, brand: Brand) -> None:
        # Tickets are opened by the real service, so they get its deadline, priority and
        # 'opened' event. Their later history is written directly, fields and audit events
        # alike, because the services stamp the current time and this history is in the past.
        tickets, events = [], []
        for spec, response in zip(plan.responses, responses, strict=True):
            if spec.ticket is None:
                continue
            ticket = ticket_open_for_response(response=response)
            history = spec.ticket
            ticket.opened_at = history.opened_at
            ticket.status = history.status
            ticket.assignee = users.get(history.assignee)
            ticket.first_contacted_at = history.first_contacted_at
            ticket.contact_channel = history.contact_channel
            ticket.resolved_at = history.resolved_at
            ticket.outcome = history.outcome
            tickets.append(ticket)
            events.extend(
                TicketEvent(
                    ticket=ticket,
                    actor=users.get(event.actor),
                    kind=event.kind,
                    field=event.field,
                    old_value=event.old_value,
                    new_value=event.new_value,
                    body=event.body,
                    created_at=event.at,
                )
                for event in history.events
            )
        # One UPDATE per ticket: bulk_update's CASE over hundreds of rows is slower on SQLite.
        for ticket in tickets:
            history = {name: getattr(ticket, name) for name in TICKET_HISTORY_FIELDS}
            history.update(self._frozen_metrics(ticket))
            Ticket.objects.filter(pk=ticket.pk).update(**history)
        self._link_resurveys(tickets)
        TicketEvent.objects.filter(kind=EventKind.OPENED, ticket__survey__brand=brand).update(
            created_at=Subquery(Ticket.objects.filter(pk=OuterRef("ticket_id")).values("opened_at")[:1])
        )
        TicketEvent.objects.bulk_create(events, batch_size=1000)

    @staticmethod
    def _frozen_metrics(ticket: Ticket) -> dict:
        """What the services freeze when a case is contacted and resolved (this history is past)."""
        start = ticket.response.submitted_at
        metrics = {}
        if ticket.first_contacted_at is not None:
            metrics["minutes_to_first_contact"] = int((ticket.first_contacted_at - start).total_seconds() // 60)
            metrics["first_contact_met"] = ticket.first_contacted_at <= ticket.first_contact_due_at
        elif ticket.resolved_at is not None:
            metrics["first_contact_met"] = False  # resolved without a contact: a missed deadline
        if ticket.resolved_at is not None:
            metrics["minutes_to_resolution"] = int((ticket.resolved_at - start).total_seconds() // 60)
        return metrics

    @staticmethod
    def _link_resurveys(tickets: list[Ticket]) -> None:
        """A resolved case's customer answered again within a month: that answer is its re-survey."""
        resolved = [t for t in tickets if t.resolved_at is not None and t.customer_id is not None]
        later: dict[int, list[Response]] = defaultdict(list)  # each customer's answers, oldest first
        for answer in (
            Response.objects.filter(customer_id__in={t.customer_id for t in resolved}, invitation__isnull=False)
            .only("id", "customer_id", "invitation_id", "score", "submitted_at")
            .order_by("submitted_at")
        ):
            later[answer.customer_id].append(answer)
        used: set[int] = set()
        for ticket in resolved:
            window_end = ticket.resolved_at + timedelta(days=demo.RESURVEY_WITHIN_DAYS)
            answer = next(
                (a for a in later[ticket.customer_id] if ticket.resolved_at < a.submitted_at <= window_end), None
            )
            if answer is not None and answer.invitation_id not in used:
                used.add(answer.invitation_id)
                Ticket.objects.filter(pk=ticket.pk).update(
                    resurvey_invitation_id=answer.invitation_id, resurvey_score=answer.score
                )
        Invitation.objects.filter(id__in=used).update(is_resurvey=True)
        Response.objects.filter(invitation_id__in=used).update(is_resurvey=True)

    def _print_summary(self, brand: Brand, *, elapsed: float) -> None:
        out = self.stdout.write
        # As the dashboard counts by default: recovery re-survey answers left out.
        resurveys = Response.objects.filter(is_resurvey=True).count()
        nps = survey_selectors.nps_summary(Response.objects.filter(is_resurvey=False))
        pending = Invitation.objects.filter(survey__brand=brand, answered=False)
        by_status = dict(Ticket.objects.order_by().values_list("status").annotate(n=Count("id")))
        counts = followup_selectors.ticket_counts()
        out(self.style.SUCCESS(f"Demo data for {brand.name} loaded in {elapsed:.1f} s."))
        out(f"  customers:   {Customer.objects.count()}")
        out(f"  purchases:   {Purchase.objects.count()}")
        out(
            f"  responses:   {nps.n}  (NPS {nps.score:+.0f} ± {nps.margin:.0f}; "
            f"{nps.pct_promoters:.0f} % promoters, {nps.pct_detractors:.0f} % detractors; "
            f"{resurveys} recovery re-survey answers apart)"
        )
        out(f"  pending invitations: {pending.count()}")
        out(f"  cases:       {sum(by_status.values())}  (open {counts['open']}, overdue {counts['overdue']})")
        for status, label in TicketStatus.choices:
            out(f"    {label}: {by_status.get(status, 0)}")
        out("Logins (password for all: demo) and survey links to try: python manage.py demo_links")
