"""Import customers from a CSV file: see crm/importer.py for its columns."""

from django.core.management.base import BaseCommand, CommandError

from crm.importer import ImportFileError, import_customers_csv, report_lines


class Command(BaseCommand):
    help = (
        "Create or update customers from a CSV file, matched on external_id. Invalid rows are listed with "
        "their line number and skipped; the valid ones are imported. Importing the same file twice changes "
        "nothing. Exit code 1 when the file as a whole cannot be imported (then nothing is written)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the CSV file (UTF-8, comma- or semicolon-separated, header on line 1)")
        parser.add_argument("--dry-run", action="store_true", help="check and count everything, write nothing")

    def handle(self, *args, path: str, dry_run: bool, **options):
        try:
            with open(path, "rb") as file:
                report = import_customers_csv(file, dry_run=dry_run, source="command", filename=path)
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror or exc}") from exc
        except ImportFileError as exc:
            raise CommandError("\n".join([f"{path}: nothing was imported.", *exc.messages])) from exc
        self.stdout.write(
            f"{path}: {report.rows} rows: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged, {report.invalid} invalid."
        )
        for line in report_lines(report):
            self.stdout.write(line)
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")
