from datetime import date

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from apps.core.admin_site import ReadOnlyModelAdmin
from apps.core.roles import Role
from apps.products.models import Product

from . import charts
from .models import PointDailyReport, ReportDay, StockAlert, StockDailyReport


def _day(request, name: str) -> date | None:
    try:
        return date.fromisoformat(request.GET.get(name, ""))
    except ValueError:
        return None


class _Reports(ReadOnlyModelAdmin):
    """Read-only: reports are built from the ledgers (services/), never edited."""

    view_roles = (Role.STAFF,)

    def chart_page(self, request, *, title: str, subtitle: str, chart: dict, first, last):
        if not self.can_view(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "subtitle": subtitle,
            "chart": chart,
            "has_rows": any(any(series["values"]) for series in chart["series"]),
            "first": first,
            "last": last,
            "time_zone": settings.REPORTS_TIME_ZONE,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/reports/chart.html", context)


@admin.register(StockDailyReport)
class StockDailyReportAdmin(_Reports):
    view_roles = (Role.WAREHOUSE_ADMIN,)
    list_display = (
        "date",
        "product",
        "warehouse",
        "opening_on_hand",
        "inbound",
        "confirmed",
        "closing_on_hand",
        "closing_reserved",
    )
    list_filter = ("date", "warehouse")
    list_select_related = ("product", "warehouse")
    date_hierarchy = "date"
    show_full_result_count = False

    def get_list_display(self, request):
        return (*super().get_list_display(request), "chart")

    @admin.display(description="chart")
    def chart(self, obj):
        url = reverse("admin:reports_stock_chart", args=[obj.product_id])
        return format_html('<a href="{}">chart</a>', url)

    def get_urls(self):
        chart = self.admin_site.admin_view(self.product_chart_view)
        return [
            path("chart/<uuid:product_id>/", chart, name="reports_stock_chart"),
            *super().get_urls(),
        ]

    def product_chart_view(self, request, product_id):
        product = Product.objects.filter(pk=product_id).first()
        if product is None:
            raise Http404("No such product.")
        first, last = charts.chart_range(_day(request, "from"), _day(request, "to"))
        return self.chart_page(
            request,
            title=f"Stock of {product.sku}",
            subtitle=f"{product.name}: closing on hand in every warehouse, units in and shipped.",
            chart=charts.product_chart(product_id=product.pk, first=first, last=last),
            first=first,
            last=last,
        )


@admin.register(PointDailyReport)
class PointDailyReportAdmin(_Reports):
    list_display = ("date", "user", "earned", "used", "cancelled", "expired", "net")
    list_filter = ("date",)
    list_select_related = ("user",)
    date_hierarchy = "date"
    show_full_result_count = False
    change_list_template = "admin/reports/pointdailyreport/change_list.html"

    def get_urls(self):
        chart = self.admin_site.admin_view(self.points_chart_view)
        return [path("chart/", chart, name="reports_points_chart"), *super().get_urls()]

    def points_chart_view(self, request):
        first, last = charts.chart_range(_day(request, "from"), _day(request, "to"))
        return self.chart_page(
            request,
            title="Points per day",
            subtitle="Every user's points earned, used and expired, and the net change.",
            chart=charts.points_chart(first=first, last=last),
            first=first,
            last=last,
        )


@admin.register(ReportDay)
class ReportDayAdmin(_Reports):
    list_display = ("kind", "date", "starts_at", "ends_at", "rows", "seconds", "built_at")
    list_filter = ("kind",)


@admin.register(StockAlert)
class StockAlertAdmin(_Reports):
    view_roles = (Role.WAREHOUSE_ADMIN,)
    list_display = (
        "stock",
        "product",
        "warehouse",
        "reorder_point",
        "available_at_open",
        "opened_at",
        "closed_at",
        "notified_at",
    )
    list_filter = (("closed_at", admin.EmptyFieldListFilter), "warehouse")
    list_select_related = ("product", "warehouse")
