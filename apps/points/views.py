from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core import demo
from apps.core.idempotency import Idempotency, idempotent_response
from apps.core.permissions import IsCustomer, IsStaff
from apps.core.schema import IDEMPOTENCY_HEADER, demo_id, error_responses, request_example

from . import selectors, services
from .filters import PointHistoryFilterSet
from .models import PointEntry
from .serializers import (
    PointBalanceOutputSerializer,
    PointEntryOutputSerializer,
    PointsEarnInputSerializer,
    PointsUseInputSerializer,
)


class PointsBalanceView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        tags=["points"],
        operation_id="points_balance",
        summary="Your points: free, paid and total (1 point = 1.00)",
        responses={200: PointBalanceOutputSerializer, **error_responses(401, 403)},
    )
    def get(self, request: Request) -> Response:
        balance = selectors.points_balance_get(user_id=request.user.pk)
        return Response(PointBalanceOutputSerializer(balance).data)


class PointsHistoryView(generics.ListAPIView):
    permission_classes = [IsCustomer]
    serializer_class = PointEntryOutputSerializer
    filterset_class = PointHistoryFilterSet
    default_ordering = "-created_at"

    @extend_schema(
        tags=["points"],
        operation_id="points_history",
        summary="Your points ledger, newest first",
        responses={
            200: PointEntryOutputSerializer(many=True),
            **error_responses(400, 401, 403),
        },
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return PointEntry.objects.none()
        return selectors.points_history(user_id=self.request.user.pk)


class PointsEarnView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        tags=["points"],
        operation_id="points_earn",
        summary="Credit a user free (rewarded, may expire) or paid (bought) points",
        parameters=[IDEMPOTENCY_HEADER],
        examples=[
            request_example(
                "Reward the demo customer with 100 free points",
                {
                    "user_id": demo.CUSTOMER,
                    "amount": 100,
                    "kind": "free",
                    "description": "Review reward",
                },
                as_role="staff",
            )
        ],
        request=PointsEarnInputSerializer,
        responses={
            201: PointEntryOutputSerializer,
            **error_responses(400, 401, 403, 404, 409, 422),
        },
    )
    def post(self, request: Request) -> Response:
        idempotency = Idempotency.from_request(request)
        data = PointsEarnInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.points_earn(
            **data.validated_data, actor_id=request.user.pk, idempotency=idempotency
        )
        return idempotent_response(
            idempotency,
            lambda: PointEntryOutputSerializer(entry).data,
            status=status.HTTP_201_CREATED,
        )


class PointsUseView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        tags=["points"],
        operation_id="points_use",
        examples=[
            request_example(
                "Spend 10 of the demo customer's points",
                {"amount": 10, "description": "order-1001"},
            )
        ],
        summary="Spend your points: free points before paid ones",
        parameters=[IDEMPOTENCY_HEADER],
        request=PointsUseInputSerializer,
        responses={
            201: PointEntryOutputSerializer,
            **error_responses(
                400,
                401,
                403,
                422,
                s409="`insufficient_points` (details: {requested, available}), "
                "`idempotency_key_in_use`",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        idempotency = Idempotency.from_request(request)
        data = PointsUseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.points_use(
            user_id=request.user.pk, **data.validated_data, idempotency=idempotency
        )
        return idempotent_response(
            idempotency,
            lambda: PointEntryOutputSerializer(entry).data,
            status=status.HTTP_201_CREATED,
        )


class PointEntryCancelView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["points"],
        operation_id="points_entry_cancel",
        summary="Cancel an earn or a use (owner or staff): the compensating entry",
        parameters=[
            demo_id("id", demo.CUSTOMER_POINTS_USE, "The demo customer's use of 50 points")
        ],
        request=None,
        responses={
            201: PointEntryOutputSerializer,
            **error_responses(
                401,
                404,
                s409="`already_cancelled`, `insufficient_points` (an earn already spent "
                "or expired), `invalid_state` (not an earn or a use)",
            ),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        entry = services.points_cancel(entry_id=pk, user=request.user)
        return Response(PointEntryOutputSerializer(entry).data, status=status.HTTP_201_CREATED)
