from django.core.management.base import BaseCommand

from apps.core.audit import run_audit


class Command(BaseCommand):
    help = (
        "Check the invariants of docs/architecture.md on every row; "
        "print each violation; exit 1 if any."
    )

    def handle(self, *args, **options):
        results = run_audit()
        violations = 0
        for name, problems in results.items():
            status = "ok" if not problems else f"{len(problems)} violation(s)"
            self.stdout.write(f"{name}: {status}")
            for problem in problems:
                self.stdout.write(f"  - {problem}")
            violations += len(problems)
        if violations:
            self.stderr.write(self.style.ERROR(f"audit failed: {violations} violation(s)"))
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS(f"audit passed: {len(results)} check(s)"))
