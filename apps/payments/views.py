from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core import demo
from apps.core.idempotency import Idempotency, idempotent_response
from apps.core.permissions import IsCustomer, IsStaff
from apps.core.schema import IDEMPOTENCY_HEADER, demo_id, error_responses, request_example

from . import selectors, services
from .filters import OrderFilterSet, PaymentFilterSet, StaffPaymentFilterSet
from .models import Order, Payment
from .serializers import (
    CheckoutInputSerializer,
    OrderOutputSerializer,
    PaymentCancelInputSerializer,
    PaymentOutputSerializer,
)
from .services.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER


class OrderListCreateView(generics.ListAPIView):
    serializer_class = OrderOutputSerializer
    filterset_class = OrderFilterSet
    default_ordering = "-created_at"

    def get_permissions(self):
        return [IsCustomer()] if self.request.method == "POST" else [IsAuthenticated()]

    @extend_schema(
        tags=["orders"],
        operation_id="orders_list",
        summary="Your orders, newest first (staff: everyone's)",
        responses={200: OrderOutputSerializer(many=True), **error_responses(400, 401)},
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return Order.objects.none()
        return selectors.order_list(user=self.request.user)

    @extend_schema(
        tags=["orders"],
        operation_id="orders_create",
        summary="Check out a reservation: coupon and points applied, the rest charged once",
        parameters=[IDEMPOTENCY_HEADER],
        examples=[
            request_example(
                "Pay the demo hold by card, 5 points off",
                {
                    "reservation_id": demo.HOLD_TO_PAY,
                    "payment_method": "card",
                    "payment_token": "tok_approve",
                    "points": 5,
                },
            )
        ],
        request=CheckoutInputSerializer,
        responses={
            201: OpenApiResponse(
                OrderOutputSerializer,
                description="Paid; or, by bank transfer, pending until the gateway's webhook.",
            ),
            202: OpenApiResponse(
                OrderOutputSerializer,
                description="The gateway's answer is unknown (no answer in time): the payment "
                "stays pending until it is reconciled; the order's URL shows the outcome.",
            ),
            **error_responses(
                400,
                401,
                403,
                404,
                422,
                s402="`payment_declined`: nothing was charged; points and coupon are back.",
                s409="`reservation_expired`, `already_paid`, `payment_in_progress`, "
                "`coupon_invalid`, `insufficient_points`, `idempotency_key_in_use`",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        idempotency = Idempotency.from_request(request)
        data = CheckoutInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        done = services.order_checkout(
            user=request.user,
            checkout=services.Checkout(
                reservation_id=fields["reservation_id"],
                method=fields["payment_method"],
                coupon_code=fields["coupon_code"] or None,
                points=fields["points"],
                payment_token=fields["payment_token"],
            ),
            idempotency=idempotency,
        )
        return idempotent_response(
            idempotency,
            lambda: OrderOutputSerializer(done.order).data,
            status=status.HTTP_202_ACCEPTED if done.unknown else status.HTTP_201_CREATED,
        )


class OrderDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["orders"],
        operation_id="orders_retrieve",
        summary="One order (yours; staff: anyone's)",
        parameters=[
            demo_id("id", demo.PAID_ORDER, "The demo customer's paid order", OpenApiTypes.UUID)
        ],
        responses={200: OrderOutputSerializer, **error_responses(401, 404)},
    )
    def get(self, request: Request, pk) -> Response:
        order = selectors.order_get(order_id=pk, user=request.user)
        return Response(OrderOutputSerializer(order).data)


class MyPaymentListView(generics.ListAPIView):
    permission_classes = [IsCustomer]
    serializer_class = PaymentOutputSerializer
    filterset_class = PaymentFilterSet
    default_ordering = "-created_at"

    @extend_schema(
        tags=["orders"],
        operation_id="me_payments_list",
        summary="Your payments, newest first",
        responses={200: PaymentOutputSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Payment.objects.none()
        return selectors.payment_list(user=self.request.user)


class PaymentListView(generics.ListAPIView):
    permission_classes = [IsStaff]
    serializer_class = PaymentOutputSerializer
    filterset_class = StaffPaymentFilterSet
    default_ordering = "-created_at"

    @extend_schema(
        tags=["orders"],
        operation_id="payments_list",
        summary="Every payment, newest first (staff)",
        responses={200: PaymentOutputSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.payment_list()


class PaymentCancelView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["orders"],
        operation_id="payments_cancel",
        summary="Refund a paid payment: stock returned, points and coupon restored",
        request=PaymentCancelInputSerializer,
        parameters=[
            demo_id("id", demo.PAID_PAYMENT, "The demo order's payment", OpenApiTypes.UUID)
        ],
        examples=[request_example("Refund the demo order", {"reason": "Changed my mind"})],
        responses={
            200: PaymentOutputSerializer,
            **error_responses(
                400,
                401,
                404,
                s409="`invalid_state`: not paid (pending, failed or already cancelled)",
                s502="`refund_failed`: the gateway did not refund; nothing changed "
                "(or, with no answer, the refund is retried by the reconciler)",
            ),
        },
    )
    def post(self, request: Request, pk) -> Response:
        data = PaymentCancelInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment = services.payment_cancel(
            payment_id=pk, user=request.user, reason=data.validated_data["reason"]
        )
        return Response(PaymentOutputSerializer(payment).data)


class WebhookReceivedSerializer(serializers.Serializer):
    applied = serializers.BooleanField(help_text="False: this event was applied before.")
    outcome = serializers.CharField()


class PaymentWebhookView(APIView):
    """The gateway's signed events (services/webhooks.py). No token: the
    HMAC-SHA256 signature over the raw body and its timestamp is the proof."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(
        tags=["orders"],
        operation_id="payments_webhook",
        summary="A gateway's event about a payment (signed; each event applied once)",
        request={"application/json": {"type": "object"}},
        parameters=[
            demo_id(
                "gateway", "fake", "The fake gateway (PAYMENT_GATEWAY's default)", OpenApiTypes.STR
            ),
            OpenApiParameter(
                TIMESTAMP_HEADER,
                OpenApiTypes.INT,
                OpenApiParameter.HEADER,
                required=True,
                description="Unix seconds when the gateway sent the event.",
            ),
            OpenApiParameter(
                SIGNATURE_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description="`v1=` and the hex HMAC-SHA256, keyed by PAYMENT_WEBHOOK_SECRET, of "
                "the timestamp, a dot and the raw body.",
            ),
        ],
        examples=[
            request_example(
                "The fake gateway confirms the demo order's charge",
                {
                    "id": "evt_demo_0001",
                    "type": "charge.succeeded",
                    "data": {"reference": demo.PAID_PAYMENT},
                },
                as_role="gateway (no token)",
                first=f"sign it: {TIMESTAMP_HEADER} and {SIGNATURE_HEADER}, as their "
                "descriptions say",
            )
        ],
        responses={
            200: WebhookReceivedSerializer,
            **error_responses(404, s400="`invalid_signature`, or not an event (`invalid`)"),
        },
    )
    def post(self, request: Request, gateway: str) -> Response:
        applied = services.webhook_receive(
            gateway_name=gateway, body=request._request.body, headers=request.headers
        )
        return Response({"applied": applied.applied, "outcome": applied.outcome})
