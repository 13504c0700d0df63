import io
import logging

from django.conf import settings
from django.core.management.base import BaseCommand, OutputWrapper
from django.core.management.commands.runserver import Command as RunserverCommand

from apps.accounts.demo import DEMO_USERS


class _QuietRunserver(RunserverCommand):
    """Django's development server, saying only what a newcomer needs: what it
    would print before binding (system checks, version, date) is held back and
    shown only if the checks found something; once bound, the banner, last."""

    banner = ""

    def inner_run(self, *args, **options):
        self._console, self.stdout = self.stdout, OutputWrapper(io.StringIO())
        try:
            super().inner_run(*args, **options)
        finally:
            self.stdout = self._console

    def on_bind(self, server_port):
        held = self.stdout._out.getvalue() if isinstance(self.stdout._out, io.StringIO) else ""
        self.stdout = self._console
        if "System check identified" in held and "identified no issues" not in held:
            self.stdout.write(held.replace("Performing system checks...\n\n", ""))
        self.stdout.write(self.banner)
        self.stdout.write(
            "Django's development server, for a first look (README, Two commands); "
            "production runs gunicorn (README, Processes). Quit with CONTROL-C."
        )


class Command(BaseCommand):
    help = (
        "Serve the API for a first look or development: Django's server, plus the "
        "beat schedule in a thread when no Celery broker is configured (EMBEDDED_BEAT)."
    )

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport: str, **options):
        host_port = addrport if ":" in addrport else f"127.0.0.1:{addrport}"
        if settings.EMBEDDED_BEAT:
            # The schedule's every run would print a line (celery.app.trace,
            # INFO) every few seconds; a first look needs its failures only.
            logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
            from apps.core.embedded_beat import EmbeddedBeat
            from config.celery_app import app

            EmbeddedBeat(app=app, schedule=settings.CELERY_BEAT_SCHEDULE).start()
        server = _QuietRunserver(stdout=self.stdout._out, stderr=self.stderr._out)
        server.banner = self.banner(f"http://{host_port}")
        server.run_from_argv(["manage.py", "runserver", host_port, "--noreload"])

    def banner(self, base: str) -> str:
        database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        cache = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
        background = (
            "Celery tasks in-process, beat schedule in a thread"
            if settings.EMBEDDED_BEAT
            else f"Celery broker {settings.CELERY_BROKER_URL.split('://', 1)[0]}"
        )
        users = "".join(
            f"    {email:24} {password:22} {can}\n" for email, password, _, _, can in DEMO_USERS
        )
        return (
            self.style.SUCCESS("Inventory reservation API\n")
            + f"  Swagger UI : {base}/api/docs/\n"
            + f"  ReDoc      : {base}/api/redoc/\n"
            + f"  Schema     : {base}/api/schema/\n"
            + f"  Admin      : {base}/admin/\n"
            + f"  Health     : {base}/healthz/  and  {base}/readyz/\n"
            + f"  Database   : {database}   Cache: {cache}   Background: {background}\n"
            + "  Demo users (email, password, what they can do), after `manage.py seed_demo`:\n"
            + users
        )
