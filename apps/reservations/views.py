from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core import demo
from apps.core.idempotency import Idempotency, idempotent_response
from apps.core.schema import IDEMPOTENCY_HEADER, demo_id, error_responses, request_example
from apps.stock.models import Reservation

from . import selectors, services
from .filters import ReservationFilterSet
from .serializers import (
    ReservationCreateInputSerializer,
    ReservationExtendInputSerializer,
    ReservationOutputSerializer,
)


def _demo_hold(hold_id: str, summary: str):
    """A pending hold of the demo customer's (apps/core/demo.py)."""
    return demo_id("id", hold_id, summary, OpenApiTypes.UUID)


class ReservationListCreateView(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = ReservationOutputSerializer
    filterset_class = ReservationFilterSet
    default_ordering = "-created_at"

    @extend_schema(
        tags=["reservations"],
        operation_id="reservations_list",
        summary="Your reservations (staff: everyone's), newest first",
        responses={200: ReservationOutputSerializer(many=True), **error_responses(400, 401)},
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return Reservation.objects.none()
        return selectors.reservation_list(user=self.request.user)

    @extend_schema(
        tags=["reservations"],
        operation_id="reservations_create",
        summary="Hold stock for an order: all lines or nothing",
        parameters=[IDEMPOTENCY_HEADER],
        request=ReservationCreateInputSerializer,
        examples=[
            request_example(
                "Hold one demo mug for 15 minutes",
                {
                    # MUG-CER-03 of the demo data (its id is the same everywhere)
                    "order_id": "order-1001",
                    "lines": [{"product_id": demo.MUG, "quantity": 1}],
                    "ttl_seconds": 900,
                },
            )
        ],
        responses={
            201: ReservationOutputSerializer,
            **error_responses(
                400,
                401,
                404,
                422,
                s409="`insufficient_stock` (details: [{product_id, requested, available}]), "
                "`duplicate_order_id` (details: {order_id, reservation_id}: the caller's hold), "
                "`product_not_on_sale`",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        idempotency = Idempotency.from_request(request)
        data = ReservationCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reservation = services.reservation_create(
            user_id=request.user.pk,
            order_id=data.validated_data["order_id"],
            lines=[
                services.LineRequest(
                    product_id=line["product_id"],
                    quantity=line["quantity"],
                    warehouse_code=line.get("warehouse"),
                )
                for line in data.validated_data["lines"]
            ],
            ttl_seconds=data.validated_data.get("ttl_seconds"),
            idempotency=idempotency,
        )
        return idempotent_response(
            idempotency,
            lambda: ReservationOutputSerializer(reservation).data,
            status=status.HTTP_201_CREATED,
        )


class ReservationDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["reservations"],
        operation_id="reservations_retrieve",
        summary="One of your reservations",
        parameters=[_demo_hold(demo.HOLD_TO_EXTEND, "A demo hold of the customer's")],
        responses={200: ReservationOutputSerializer, **error_responses(401, 404)},
    )
    def get(self, request: Request, pk) -> Response:
        reservation = selectors.reservation_get(reservation_id=pk, user=request.user)
        return Response(ReservationOutputSerializer(reservation).data)


def _transition_schema(
    operation_id: str, summary: str, conflicts: str, hold, request=None, examples=()
):
    return extend_schema(
        tags=["reservations"],
        operation_id=operation_id,
        summary=summary,
        parameters=[hold],
        request=request,
        examples=list(examples),
        responses={
            200: ReservationOutputSerializer,
            **error_responses(400, 401, 404, s409=conflicts),
        },
    )


class ReservationConfirmView(APIView):
    permission_classes = [IsAuthenticated]

    @_transition_schema(
        "reservations_confirm",
        "Confirm: the held units leave on_hand",
        "`reservation_expired`, `invalid_state`",
        _demo_hold(demo.HOLD_TO_CONFIRM, "The demo customer's hold to confirm"),
    )
    def post(self, request: Request, pk) -> Response:
        reservation = services.reservation_confirm(reservation_id=pk, user=request.user)
        return Response(ReservationOutputSerializer(reservation).data)


class ReservationCancelView(APIView):
    permission_classes = [IsAuthenticated]

    @_transition_schema(
        "reservations_cancel",
        "Cancel: the held units go back (again: 200, unchanged)",
        "`invalid_state` (confirmed)",
        _demo_hold(demo.HOLD_TO_CANCEL, "The demo customer's hold to cancel"),
    )
    def post(self, request: Request, pk) -> Response:
        reservation = services.reservation_cancel(reservation_id=pk, user=request.user)
        return Response(ReservationOutputSerializer(reservation).data)


class ReservationExtendView(APIView):
    permission_classes = [IsAuthenticated]

    @_transition_schema(
        "reservations_extend",
        "Hold longer: ttl_seconds from now, at most the max TTL after creation",
        "`reservation_expired`, `invalid_state`",
        _demo_hold(demo.HOLD_TO_EXTEND, "The demo customer's hold to extend"),
        request=ReservationExtendInputSerializer,
        examples=[request_example("Hold for another hour", {"ttl_seconds": 3600})],
    )
    def post(self, request: Request, pk) -> Response:
        data = ReservationExtendInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reservation = services.reservation_extend(
            reservation_id=pk, user=request.user, ttl_seconds=data.validated_data["ttl_seconds"]
        )
        return Response(ReservationOutputSerializer(reservation).data)
