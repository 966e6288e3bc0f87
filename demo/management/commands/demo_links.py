"""Print where to start trying the demo: the logins and a few survey links waiting for an answer.

`make run` calls it on every start (the links are valid for NPSAPP_LINK_VALID_DAYS). The links
use SITE_URL, which `make run` sets from HOST and PORT.
"""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse
from django.utils import timezone

from demo import plan as demo
from surveys.models import Brand, Invitation, Survey

LINKS_PER_LANGUAGE = {"fr": 2, "en": 1}


class Command(BaseCommand):
    help = "Print the demo logins, a few survey links waiting for an answer and the public feedback page."

    def handle(self, *args, **options):
        out = self.stdout.write
        brand = Brand.objects.filter(name=demo.BRAND_NAME).first()
        if brand is None:
            out("No demo data in this database (python manage.py load_demo_data loads it).")
            return
        out(f"Log in at {settings.SITE_URL}/ (password for all: demo):")
        for username, first_name, last_name, role in demo.STAFF:
            out(f"  {username:<8} {role:<8} {first_name} {last_name}")
        waiting = (
            Invitation.objects.filter(
                survey__brand=brand, answered=False, expires_at__gt=timezone.now(), customer__isnull=False
            )
            .select_related("customer")
            .order_by("-created_at")
        )
        examples = [
            invitation
            for language, count in LINKS_PER_LANGUAGE.items()
            for invitation in waiting.filter(customer__language=language)[:count]
        ]
        if examples:
            out("Answer as a customer (personal survey links waiting for an answer):")
        for invitation in examples:
            out(f"  {invitation.url}  ({invitation.customer}, {invitation.customer.get_language_display()})")
        for survey in Survey.objects.filter(brand=brand, public_form_enabled=True):
            path = reverse("surveys:public_feedback", args=[survey.public_id])
            out(f"Public feedback page ({survey.name}): {settings.SITE_URL}{path}")
