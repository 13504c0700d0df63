from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for a first look (`manage.py seed_demo`): users of each role, a
    catalog with stock, an active coupon drop, points and a company. Above every
    other app, since it puts data into all of them through their services."""

    name = "apps.demo"
    label = "demo"
    verbose_name = "Demo data"
