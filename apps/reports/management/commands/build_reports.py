"""`manage.py build_reports --from 2026-11-01 --to 2026-11-30 [--kind stock|points]`:
build or rebuild the reports of those closed days (and any missing day before
them since the last one built), with a progress bar."""

import sys
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from apps.reports.days import days, last_closed_day
from apps.reports.services import SPECS, Built, report_build


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="first", type=date.fromisoformat, required=True)
        parser.add_argument(
            "--to", dest="last", type=date.fromisoformat, help="default: the --from day"
        )
        parser.add_argument("--kind", choices=sorted(SPECS), help="default: both")

    def handle(self, *args, first: date, last: date | None, kind: str | None, **options):
        last = last or first
        if last < first:
            raise CommandError("--to is before --from")
        if last > last_closed_day():
            raise CommandError(
                f"{last} is not closed yet; the last closed day is {last_closed_day()}"
            )
        total = sum(1 for _ in days(first, last))
        for name in [kind] if kind else sorted(SPECS):
            done = 0

            def progress(built: Built, name=name) -> None:
                nonlocal done
                if first <= built.date:
                    done += 1
                self._bar(name, done, total, built)

            report_build(kind=name, first=first, last=last, progress=progress)
            self.stdout.write("")

    def _bar(self, kind: str, done: int, total: int, built: Built) -> None:
        width = 30
        filled = width * done // max(total, 1)
        action = "rebuilt" if built.rebuilt else "built"
        line = (
            f"\r{kind:<7}[{'#' * filled}{'.' * (width - filled)}] {done}/{total}  "
            f"{built.date} {action}: {built.rows:,} rows in {built.seconds:.2f} s"
        )
        self.stdout.write(line, ending="")
        if not sys.stdout.isatty():
            self.stdout.write("")
