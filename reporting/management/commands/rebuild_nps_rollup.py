from django.core.management.base import BaseCommand

from reporting.rollup import rollup_rebuild


class Command(BaseCommand):
    help = "Recount the daily NPS roll-up from all responses (after an import, an erasure or a time-zone change)."

    def handle(self, *args, **options):
        written = rollup_rebuild()
        self.stdout.write(f"Roll-up rebuilt: {written} day rows.")
