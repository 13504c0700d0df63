from django.urls import path

from . import views

app_name = "coupons"

urlpatterns = [
    path("coupons/", views.CouponListCreateView.as_view(), name="list"),
    path("coupons/<int:pk>/", views.CouponDetailView.as_view(), name="detail"),
    path("coupons/<int:pk>/issue/", views.CouponIssueView.as_view(), name="issue"),
    path("me/coupons/", views.MyCouponListView.as_view(), name="mine"),
]
