"""Views that exist only to exercise apps.core in tests (mounted with @pytest.mark.urls)."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import include, path
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.errors import Conflict
from apps.core.permissions import IsStaff, IsWarehouseAdmin


class StaffOnlyView(APIView):
    permission_classes = [IsStaff]

    def get(self, request):
        return Response({"ok": True})


class WarehouseOnlyView(APIView):
    permission_classes = [IsWarehouseAdmin]

    def get(self, request):
        return Response({"ok": True})


class BoomView(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("an unexpected failure")


class SoldOut(Conflict):
    code = "sold_out"
    default_message = "Sold out."


class ConflictView(APIView):
    permission_classes = [AllowAny]

    def post(self, request):
        raise SoldOut(details={"remaining": 0})


class DjangoValidationView(APIView):
    permission_classes = [AllowAny]

    def post(self, request):
        raise DjangoValidationError({"quantity": ["Must be positive."]})


class UserRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()


class UserListView(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = UserRowSerializer

    def get_queryset(self):
        return get_user_model().objects.all()


urlpatterns = [
    path("api/test/staff/", StaffOnlyView.as_view()),
    path("api/test/warehouse/", WarehouseOnlyView.as_view()),
    path("api/test/boom/", BoomView.as_view()),
    path("api/test/conflict/", ConflictView.as_view()),
    path("api/test/django-validation/", DjangoValidationView.as_view()),
    path("api/test/users/", UserListView.as_view()),
    path("", include("config.urls")),
]
