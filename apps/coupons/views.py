from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core import demo
from apps.core.idempotency import Idempotency, idempotent_response
from apps.core.permissions import IsCustomer, IsStaffOrReadOnly
from apps.core.schema import IDEMPOTENCY_HEADER, demo_id, error_responses, request_example

from . import selectors, services
from .filters import CouponFilterSet, CouponIssueFilterSet
from .models import CouponIssue
from .serializers import (
    CouponInputSerializer,
    CouponIssueOutputSerializer,
    CouponOutputSerializer,
)

DEMO_DROP = demo_id("id", demo.COUPON_DROP, "The demo coupon drop")


class IsStaffOrReadOnlyCoupons(IsStaffOrReadOnly):
    message = "Creating and editing coupons needs the staff role."


@extend_schema_view(
    get=extend_schema(
        tags=["coupons"],
        operation_id="coupons_list",
        summary="Coupons, with how many remain (anyone)",
        responses={200: CouponOutputSerializer(many=True), **error_responses(400)},
    ),
    post=extend_schema(
        tags=["coupons"],
        operation_id="coupons_create",
        examples=[
            request_example(
                "A drop of 100 coupons of 5.00",
                {
                    "name": "Spring drop",
                    "discount_amount": "5.00",
                    "total_quantity": 100,
                    "starts_at": "2030-03-01T09:00:00Z",
                    "ends_at": "2030-03-08T09:00:00Z",
                },
                as_role="staff",
            )
        ],
        summary="Create a coupon drop (staff)",
        request=CouponInputSerializer,
        responses={201: CouponOutputSerializer, **error_responses(400, 401, 403, 404)},
    ),
)
class CouponListCreateView(generics.ListAPIView):
    permission_classes = [IsStaffOrReadOnlyCoupons]
    serializer_class = CouponOutputSerializer
    filterset_class = CouponFilterSet
    ordering_fields = ("created_at", "starts_at")
    default_ordering = "-created_at"

    def get_queryset(self):
        return selectors.coupon_list()

    def post(self, request: Request) -> Response:
        data = CouponInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        coupon = services.coupon_create(data=services.CouponData(**data.validated_data))
        return Response(CouponOutputSerializer(coupon).data, status=status.HTTP_201_CREATED)


class CouponDetailView(APIView):
    permission_classes = [IsStaffOrReadOnlyCoupons]

    @extend_schema(
        tags=["coupons"],
        operation_id="coupons_retrieve",
        summary="One coupon, with how many remain (anyone)",
        parameters=[DEMO_DROP],
        responses={200: CouponOutputSerializer, **error_responses(404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(CouponOutputSerializer(selectors.coupon_get(coupon_id=pk)).data)

    @extend_schema(
        tags=["coupons"],
        operation_id="coupons_partial_update",
        examples=[
            request_example(
                "Raise the demo drop to 1,200 coupons", {"total_quantity": 1200}, as_role="staff"
            )
        ],
        parameters=[DEMO_DROP],
        summary="Edit a coupon (staff); raising total_quantity reopens a sold-out drop",
        request=CouponInputSerializer(partial=True),
        responses={
            200: CouponOutputSerializer,
            **error_responses(
                400, 401, 403, 404, s409="`below_issued`: total_quantity < issued_count."
            ),
        },
    )
    def patch(self, request: Request, pk: int) -> Response:
        data = CouponInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        coupon = services.coupon_update(coupon_id=pk, changes=dict(data.validated_data))
        return Response(CouponOutputSerializer(coupon).data)


class CouponIssueView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        tags=["coupons"],
        operation_id="coupons_issue",
        summary="Claim one coupon into your wallet: first come, first served",
        parameters=[IDEMPOTENCY_HEADER, DEMO_DROP],
        request=None,
        responses={
            201: CouponIssueOutputSerializer,
            **error_responses(
                400,
                401,
                403,
                404,
                422,
                s409="`sold_out`, `already_issued`, `coupon_not_active` "
                "(details.reason: `not_started` or `ended`)",
            ),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        idempotency = Idempotency.from_request(request, pk=pk)
        issue = services.coupon_issue(
            coupon_id=pk, user_id=request.user.pk, idempotency=idempotency
        )
        return idempotent_response(
            idempotency,
            lambda: CouponIssueOutputSerializer(issue).data,
            status=status.HTTP_201_CREATED,
        )


class MyCouponListView(generics.ListAPIView):
    permission_classes = [IsCustomer]
    serializer_class = CouponIssueOutputSerializer
    filterset_class = CouponIssueFilterSet
    ordering_fields = ("created_at",)
    default_ordering = "-created_at"

    @extend_schema(
        tags=["coupons"],
        operation_id="me_coupons_list",
        summary="Your coupons (your wallet), newest first",
        responses={200: CouponIssueOutputSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return CouponIssue.objects.none()
        return selectors.coupon_issue_list(user_id=self.request.user.pk)
