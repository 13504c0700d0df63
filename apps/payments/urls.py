from django.urls import path

from . import views

urlpatterns = [
    path("orders/", views.OrderListCreateView.as_view(), name="order-list"),
    path("orders/<uuid:pk>/", views.OrderDetailView.as_view(), name="order-detail"),
    path("me/payments/", views.MyPaymentListView.as_view(), name="me-payment-list"),
    path("payments/", views.PaymentListView.as_view(), name="payment-list"),
    path("payments/<uuid:pk>/cancel/", views.PaymentCancelView.as_view(), name="payment-cancel"),
    path(
        "payments/webhooks/<slug:gateway>/",
        views.PaymentWebhookView.as_view(),
        name="payment-webhook",
    ),
]
