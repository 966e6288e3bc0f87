"""Load a year of realistic demo data (Maison Dupont) into an empty database.

The data is drawn in demo/plan.py and written by demo/services.py through the app's own
services, replayed in time order. Demo logins all use the password "demo": never run this on
a real install.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from crm.models import Customer, Purchase
from demo import plan as demo
from demo.services import DemoDataError, demo_delete, demo_load
from followups import selectors as followup_selectors
from followups.choices import TicketStatus
from followups.models import Ticket
from surveys import selectors as survey_selectors
from surveys.models import Brand, Invitation, Response


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
        if reset:
            demo_delete()
        try:
            brand = demo_load(seed=seed)
        except DemoDataError as exc:
            raise CommandError(str(exc)) from exc
        self._print_summary(brand, elapsed=time.monotonic() - started)

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
