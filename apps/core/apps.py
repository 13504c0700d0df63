from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Core"
    default = True

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from . import filters  # noqa: F401 (registers the OpenAPI extension of DRFFieldFilter)
        from .db import configure_session

        connection_created.connect(configure_session)


class PlatformAdminConfig(admin_apps.AdminConfig):
    """Django admin with a site that also lets warehouse admins in."""

    default = False
    default_site = "apps.core.admin_site.PlatformAdminSite"
