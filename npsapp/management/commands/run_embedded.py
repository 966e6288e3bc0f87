"""`manage.py run_embedded`: the development server plus, with no broker, the beat schedule.

This is what `make run` starts. It is Django's `runserver` (static files, autoreload) with
one addition: when `CELERY_BROKER_URL` is unset there is no Celery beat, so the periodic
tasks of `CELERY_BEAT_SCHEDULE` run in a thread of the serving process (npsapp/scheduler.py).
Under the autoreloader, only the child process that serves requests binds the port, so the
schedule runs once however many processes there are. With a broker it does nothing more than
runserver: Celery beat runs the schedule.
"""

import os

from django.conf import settings
from django.contrib.staticfiles.management.commands.runserver import Command as RunserverCommand

from npsapp import scheduler

WILDCARD_ADDRESSES = {"0", "0.0.0.0", "::"}  # noqa: S104 - names of the wildcard, not a binding


class Command(RunserverCommand):
    help = (
        "Start the development server; with no CELERY_BROKER_URL, also run the periodic tasks of "
        "CELERY_BEAT_SCHEDULE on their schedule in the server's process."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--no-schedule", action="store_true", help="Do not run the beat schedule, even without a broker."
        )

    def handle(self, *args, **options):
        self.run_schedule = not options["no_schedule"]
        super().handle(*args, **options)

    def on_bind(self, server_port):
        super().on_bind(server_port)
        if not os.environ.get("SITE_URL"):
            # The links put in emails lead to this server, whatever port it was given.
            if self.addr in WILDCARD_ADDRESSES:
                host = "127.0.0.1"
            else:
                host = f"[{self.addr}]" if self._raw_ipv6 else self.addr
            settings.SITE_URL = f"{self.protocol}://{host}:{server_port}"
        if settings.CELERY_BROKER_URL:
            self.stdout.write("A broker is configured: Celery beat runs the periodic tasks, not this server.")
        elif self.run_schedule:
            scheduler.start_in_thread()
            names = ", ".join(sorted(settings.CELERY_BEAT_SCHEDULE))
            self.stdout.write(f"No broker: this server runs the periodic tasks on their schedule ({names}).")
