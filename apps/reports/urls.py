from django.urls import path

from . import views

urlpatterns = [
    path("stock/alerts/", views.StockAlertListView.as_view(), name="stock-alert-list"),
    path("reports/stock-daily/", views.StockDailyReportListView.as_view(), name="stock-daily"),
    path(
        "reports/stock-daily/summary/",
        views.StockDailySummaryView.as_view(),
        name="stock-daily-summary",
    ),
    path("reports/points-daily/", views.PointDailyReportListView.as_view(), name="points-daily"),
    path(
        "reports/points-daily/summary/",
        views.PointDailySummaryView.as_view(),
        name="points-daily-summary",
    ),
]
