from django.urls import path

from . import views

app_name = "products"

urlpatterns = [
    path("products/", views.ProductListCreateView.as_view(), name="product-list"),
    # products/<uuid:pk>/ is routed by the stock app, which adds the DELETE.
    path("warehouses/", views.WarehouseListCreateView.as_view(), name="warehouse-list"),
    path("warehouses/<int:pk>/", views.WarehouseDetailView.as_view(), name="warehouse-detail"),
]
