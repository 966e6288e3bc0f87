from django.core.management.base import BaseCommand

from customerview.atrisk_services import risk_refresh_all


class Command(BaseCommand):
    help = (
        "Recompute every customer's at-risk flags now, as the nightly beat task does "
        "(after an upgrade, or a bulk load that went past the CRM's services)."
    )

    def handle(self, *args, **options):
        refreshed = risk_refresh_all()
        self.stdout.write(f"At-risk flags recomputed for {refreshed} customers.")
