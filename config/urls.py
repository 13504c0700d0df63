from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from apps.core import health
from apps.coupons.pages import coupon_event_page

api_v1 = [
    path("", include("apps.accounts.urls")),
    path("", include("apps.products.urls")),
    path("", include("apps.stock.urls")),
    path("", include("apps.reservations.urls")),
    path("", include("apps.points.urls")),
    path("", include("apps.coupons.urls")),
    path("", include("apps.payments.urls")),
    path("", include("apps.reports.urls")),
    path("", include("apps.companies.urls")),
]

urlpatterns = [
    path("healthz/", health.healthz, name="healthz"),
    path("readyz/", health.readyz, name="readyz"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    # Admin bookmarks from before the stock ledger was named `ledger` and holds
    # moved in with the stock they hold.
    re_path(
        r"^admin/transactions/(?P<rest>.*)$",
        RedirectView.as_view(url="/admin/ledger/%(rest)s", permanent=True, query_string=True),
    ),
    re_path(
        r"^admin/reservations/(?P<rest>reservation(line)?/.*)$",
        RedirectView.as_view(url="/admin/stock/%(rest)s", permanent=True, query_string=True),
    ),
    path("admin/", admin.site.urls),
    path("event/<int:coupon_id>/", coupon_event_page, name="coupon-event"),
]

if settings.SILK_ENABLED:
    urlpatterns.append(path("silk/", include("silk.urls", namespace="silk")))
