from django.urls import path

from . import views

app_name = "reservations"

urlpatterns = [
    path("reservations/", views.ReservationListCreateView.as_view(), name="list"),
    path("reservations/<uuid:pk>/", views.ReservationDetailView.as_view(), name="detail"),
    path("reservations/<uuid:pk>/confirm/", views.ReservationConfirmView.as_view(), name="confirm"),
    path("reservations/<uuid:pk>/cancel/", views.ReservationCancelView.as_view(), name="cancel"),
    path("reservations/<uuid:pk>/extend/", views.ReservationExtendView.as_view(), name="extend"),
]
