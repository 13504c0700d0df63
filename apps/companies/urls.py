from django.urls import path

from . import views

app_name = "companies"

urlpatterns = [
    path("companies/", views.CompanyListCreateView.as_view(), name="list"),
    path("companies/<int:pk>/", views.CompanyDetailView.as_view(), name="detail"),
    path("companies/<int:pk>/members/", views.MemberAddView.as_view(), name="members"),
    path("companies/<int:pk>/points/balance/", views.CompanyBalanceView.as_view(), name="balance"),
    path("companies/<int:pk>/points/history/", views.CompanyHistoryView.as_view(), name="history"),
    path("companies/<int:pk>/points/charge/", views.CompanyChargeView.as_view(), name="charge"),
    path("companies/<int:pk>/points/use/", views.CompanyUseView.as_view(), name="use"),
    path("companies/<int:pk>/settle/", views.CompanySettleView.as_view(), name="settle"),
    path("settlements/", views.SettlementListView.as_view(), name="settlements"),
    path("settlements/runs/", views.SettlementRunCreateView.as_view(), name="runs"),
    path("settlements/runs/<int:pk>/", views.SettlementRunDetailView.as_view(), name="run"),
]
