from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The first look: demo data (`manage.py seed_demo`: users of each role, a
    catalog with stock, an active coupon drop, points and a company) and the
    server `make run` starts (`manage.py serve`). Above every other app, since
    it puts data into all of them through their services."""

    name = "apps.demo"
    label = "demo"
    verbose_name = "Demo data"
