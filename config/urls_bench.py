"""The API's URLs plus bench-only ceilings (config.settings.bench only).

`bench/noop/` is the framework ceiling: the same middleware, DRF view, JSON
renderer and response path as every endpoint, and no database or cache.
`bench/select1/` adds one database round trip (`SELECT 1`) on the persistent
connection, the HTTP twin of the pgbench `SELECT 1` ceiling.
"""

from django.db import connection
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as base


class NoopView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class SelectOneView(NoopView):
    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            (value,) = cursor.fetchone()
        return Response({"ok": value == 1})


urlpatterns = [
    *base,
    path("bench/noop/", NoopView.as_view(), name="bench-noop"),
    path("bench/select1/", SelectOneView.as_view(), name="bench-select1"),
]
