"""Run theme discovery once and print the themes (the interface the benchmarks use)."""

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from insights import discovery, selectors
from surveys.models import Response


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {value!r}") from exc


class Command(BaseCommand):
    help = "Discover themes in the comments of a period; with --json, print them as a JSON list."

    def add_arguments(self, parser):
        parser.add_argument("--since", type=_date, help="first day (YYYY-MM-DD)")
        parser.add_argument("--until", type=_date, help="last day (YYYY-MM-DD)")
        parser.add_argument("--pipeline", choices=discovery.PIPELINES, default=None)
        parser.add_argument("--json", action="store_true", help="print the themes as JSON")

    def handle(self, *args, since=None, until=None, pipeline=None, json=False, **options):
        from django.conf import settings

        responses = selectors.discovery_responses(since=since, until=until)
        comments = selectors.discovery_comments(responses)
        found = discovery.discover(comments, pipeline=pipeline or settings.NPSAPP_THEMES_PIPELINE)
        wanted = {response_id for proposal in found.proposals for response_id in proposal.member_ids}
        public_ids = {}
        ids = list(wanted)
        for start in range(0, len(ids), 5000):
            public_ids.update(Response.objects.filter(id__in=ids[start : start + 5000]).values_list("id", "public_id"))
        themes = [
            {
                "label": proposal.label,
                "language": proposal.language,
                "key_phrases": proposal.key_phrases,
                "size": proposal.size,
                "detractor_share": proposal.detractor_share,
                "response_ids": [str(public_ids[response_id]) for response_id in proposal.member_ids],
            }
            for proposal in found.proposals
        ]
        if json:
            self.stdout.write(_dumps(themes))
            return
        self.stdout.write(f"{len(comments)} comments, {len(themes)} themes")
        for theme in themes:
            self.stdout.write(f"{theme['size']:>7}  {theme['label']}: {', '.join(theme['key_phrases'])}")


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)
