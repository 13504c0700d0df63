"""Views that exist only to exercise apps.core in tests (mounted with @pytest.mark.urls)."""

import django_filters
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import include, path
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.errors import Conflict
from apps.core.filters import DRFFieldFilter
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


# The same query parameters read two ways: by hand with a serializer, and by a
# FilterSet of DRFFieldFilters built from the same fields. They must answer alike.


def _query_fields() -> dict[str, serializers.Field]:
    return {
        "email": serializers.EmailField(required=False, help_text="Exactly this address."),
        "is_staff": serializers.BooleanField(required=False, allow_null=True, default=None),
        "warehouse_admins": serializers.BooleanField(required=False, default=False),
        # No default: absent from a query string, DRF reads it False.
        "inactive_only": serializers.BooleanField(required=False),
        "role": serializers.ChoiceField(
            choices=[("staff", "Staff"), ("warehouse_admin", "Warehouse admin")], required=False
        ),
        "min_id": serializers.IntegerField(min_value=1, max_value=2**31 - 1, required=False),
        "created_after": serializers.DateTimeField(required=False),
    }


UserQuerySerializer = type("UserQuerySerializer", (serializers.Serializer,), _query_fields())


def _narrowed(queryset, *, role=None, warehouse_admins=False, inactive_only=False):
    if inactive_only:
        queryset = queryset.filter(is_active=False)
    if role:
        queryset = queryset.filter(**{f"is_{role}": True})
    if warehouse_admins:
        queryset = queryset.filter(is_warehouse_admin=True)
    return queryset


class UserFilterSet(django_filters.FilterSet):
    email = DRFFieldFilter(_query_fields()["email"])
    is_staff = DRFFieldFilter(_query_fields()["is_staff"])
    warehouse_admins = DRFFieldFilter(_query_fields()["warehouse_admins"], method="filter_flag")
    inactive_only = DRFFieldFilter(_query_fields()["inactive_only"], method="filter_inactive")
    role = DRFFieldFilter(_query_fields()["role"], method="filter_role")
    min_id = DRFFieldFilter(_query_fields()["min_id"], field_name="id", lookup_expr="gte")
    created_after = DRFFieldFilter(
        _query_fields()["created_after"], field_name="created_at", lookup_expr="gte"
    )

    class Meta:
        model = get_user_model()
        fields = ()

    def filter_flag(self, queryset, name, value):
        return _narrowed(queryset, warehouse_admins=value)

    def filter_inactive(self, queryset, name, value):
        return _narrowed(queryset, inactive_only=value)

    def filter_role(self, queryset, name, value):
        return _narrowed(queryset, role=value)


class UserParsedListView(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = UserRowSerializer
    default_ordering = "id"

    @extend_schema(parameters=[UserQuerySerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = UserQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        queryset = get_user_model().objects.all()
        if data.get("email"):
            queryset = queryset.filter(email=data["email"])
        if data.get("is_staff") is not None:
            queryset = queryset.filter(is_staff=data["is_staff"])
        if data.get("min_id") is not None:
            queryset = queryset.filter(id__gte=data["min_id"])
        if data.get("created_after") is not None:
            queryset = queryset.filter(created_at__gte=data["created_after"])
        return _narrowed(
            queryset,
            role=data.get("role"),
            warehouse_admins=data["warehouse_admins"],
            inactive_only=data.get("inactive_only"),
        )


class UserFilteredListView(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = UserRowSerializer
    filterset_class = UserFilterSet
    default_ordering = "id"

    def get_queryset(self):
        return get_user_model().objects.all()


urlpatterns = [
    path("api/test/staff/", StaffOnlyView.as_view()),
    path("api/test/warehouse/", WarehouseOnlyView.as_view()),
    path("api/test/boom/", BoomView.as_view()),
    path("api/test/conflict/", ConflictView.as_view()),
    path("api/test/django-validation/", DjangoValidationView.as_view()),
    path("api/test/users/", UserListView.as_view()),
    path("api/test/users/parsed/", UserParsedListView.as_view()),
    path("api/test/users/filtered/", UserFilteredListView.as_view()),
    path("", include("config.urls")),
]
