from django.urls import path

from . import views

app_name = "stock"

urlpatterns = [
    path("products/<uuid:pk>/", views.ProductDeleteDetailView.as_view(), name="product-detail"),
    path(
        "products/<uuid:pk>/availability/",
        views.ProductAvailabilityView.as_view(),
        name="product-availability",
    ),
    path("stock/", views.StockListView.as_view(), name="stock-list"),
    path("stock/availability/", views.BulkAvailabilityView.as_view(), name="availability-bulk"),
    path("stock/inbound/", views.StockInboundView.as_view(), name="inbound"),
    path("stock/adjust/", views.StockAdjustView.as_view(), name="adjust"),
    path("stock/movements/", views.MovementListView.as_view(), name="movement-list"),
    path("stock/<int:pk>/", views.StockDetailView.as_view(), name="stock-detail"),
]
