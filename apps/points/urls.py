from django.urls import path

from . import views

app_name = "points"

urlpatterns = [
    path("points/balance/", views.PointsBalanceView.as_view(), name="balance"),
    path("points/history/", views.PointsHistoryView.as_view(), name="history"),
    path("points/earn/", views.PointsEarnView.as_view(), name="earn"),
    path("points/use/", views.PointsUseView.as_view(), name="use"),
    path("points/entries/<int:pk>/cancel/", views.PointEntryCancelView.as_view(), name="cancel"),
]
