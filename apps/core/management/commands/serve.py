from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Serve the API for a first look or development: Django's server, plus the "
        "beat schedule in a thread when no Celery broker is configured (EMBEDDED_BEAT)."
    )

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport: str, **options):
        host_port = addrport if ":" in addrport else f"127.0.0.1:{addrport}"
        base = f"http://{host_port}"
        database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        cache = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
        self.stdout.write(
            self.style.SUCCESS("Inventory reservation API\n")
            + f"  Swagger UI : {base}/api/docs/\n"
            + f"  ReDoc      : {base}/api/redoc/\n"
            + f"  Schema     : {base}/api/schema/\n"
            + f"  Admin      : {base}/admin/\n"
            + f"  Health     : {base}/healthz/  and  {base}/readyz/\n"
            + f"  Database   : {database}   Cache: {cache}   "
            + f"Broker: {settings.CELERY_BROKER_URL.split('://', 1)[0]}\n"
        )
        if settings.EMBEDDED_BEAT:
            from apps.core.embedded_beat import EmbeddedBeat
            from config.celery_app import app

            EmbeddedBeat(app=app, schedule=settings.CELERY_BEAT_SCHEDULE).start()
            self.stdout.write("  Background : Celery tasks in-process, beat schedule in a thread\n")
        call_command("runserver", host_port, use_reloader=False)
