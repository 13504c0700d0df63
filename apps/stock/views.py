from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core import demo
from apps.core.idempotency import Idempotency, idempotent_response
from apps.core.permissions import IsWarehouseAdmin
from apps.core.rendered import json_response
from apps.core.replica import ReplicaReads
from apps.core.schema import IDEMPOTENCY_HEADER, demo_id, error_responses, request_example
from apps.ledger.filters import MovementFilterSet
from apps.ledger.selectors import movement_list
from apps.products.views import THE_MUG, ProductDetailView

from . import selectors, services
from .availability import availability_bulk_json, availability_get_json
from .filters import StockFilterSet
from .serializers import (
    BulkAvailabilityInputSerializer,
    BulkAvailabilityOutputSerializer,
    ProductAvailabilityOutputSerializer,
    StockAdjustInputSerializer,
    StockChangeOutputSerializer,
    StockInboundInputSerializer,
    StockLevelsInputSerializer,
    StockMovementOutputSerializer,
    StockOutputSerializer,
    bulk_product_ids,
)


# The catalog's product endpoint (products' ProductDetailView) with its DELETE,
# which is stock's to decide: not while units of the product are held. (Comments,
# not a docstring: the schema's operations keep the descriptions they had.)
class ProductDeleteDetailView(ProductDetailView):
    @extend_schema(
        tags=["catalog"],
        operation_id="products_destroy",
        summary="Delete a product (staff); 409 while stock is reserved",
        parameters=[demo_id("id", demo.SCARF, "The demo scarf (no units held)", OpenApiTypes.UUID)],
        responses={
            204: OpenApiResponse(description="Deleted."),
            **error_responses(401, 403, 404, s409="`product_in_use`: stock is reserved."),
        },
    )
    def delete(self, request: Request, pk) -> Response:
        services.product_delete(product_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProductAvailabilityView(ReplicaReads, APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["stock"],
        operation_id="products_availability",
        summary="What can be sold of a product, in total and per warehouse",
        parameters=[THE_MUG],
        responses={200: ProductAvailabilityOutputSerializer, **error_responses(404)},
    )
    def get(self, request: Request, pk) -> HttpResponse:
        return json_response(availability_get_json(product_id=pk))


class BulkAvailabilityView(ReplicaReads, APIView):
    permission_classes = [AllowAny]
    replica_methods = ("POST",)  # a read: the ids are a body

    @extend_schema(
        tags=["stock"],
        operation_id="stock_availability_bulk",
        examples=[
            request_example(
                "The demo mug and tent",
                {
                    "product_ids": [
                        demo.MUG,
                        "5f938b93-a90a-5974-9451-1a596744fba5",
                    ]
                },
            )
        ],
        summary="Availability of up to 500 products at once",
        request=BulkAvailabilityInputSerializer,
        responses={200: BulkAvailabilityOutputSerializer, **error_responses(400)},
    )
    def post(self, request: Request) -> HttpResponse:
        product_ids = bulk_product_ids(request.data)
        return json_response(availability_bulk_json(product_ids=product_ids))


class StockListView(generics.ListAPIView):
    permission_classes = [IsWarehouseAdmin]
    serializer_class = StockOutputSerializer
    filterset_class = StockFilterSet
    default_ordering = "id"

    @extend_schema(
        tags=["stock"],
        operation_id="stock_list",
        summary="Stock rows (warehouse admins); low_stock=true lists those to reorder",
        responses={
            200: StockOutputSerializer(many=True),
            **error_responses(400, 401, 403),
        },
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.stock_list()


MUG_IN_SEOUL = demo_id("id", demo.MUG_STOCK, "The demo mug in Seoul (SEL-1)")


class StockDetailView(APIView):
    permission_classes = [IsWarehouseAdmin]

    @extend_schema(
        tags=["stock"],
        operation_id="stock_retrieve",
        summary="One stock row",
        parameters=[MUG_IN_SEOUL],
        responses={200: StockOutputSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(StockOutputSerializer(selectors.stock_get(stock_id=pk)).data)

    @extend_schema(
        tags=["stock"],
        operation_id="stock_partial_update",
        examples=[
            request_example(
                "Alert below 50 demo mugs in Seoul",
                {"min_stock_level": 20, "reorder_point": 50},
                as_role="warehouse_admin",
            )
        ],
        parameters=[MUG_IN_SEOUL],
        summary="Set a stock row's alert levels",
        request=StockLevelsInputSerializer,
        responses={200: StockOutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        data = StockLevelsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        stock = services.stock_levels_update(
            stock=selectors.stock_get(stock_id=pk), **data.validated_data
        )
        return Response(StockOutputSerializer(stock).data)


# A warehouse admin's change of one stock row, recorded in the ledger and
# answered 201 with the row and its movement; idempotent. (A comment: a view's
# docstring would become its operations' description in the schema.)
class _StockChangeView(APIView):
    permission_classes = [IsWarehouseAdmin]
    input_serializer: type[serializers.Serializer]

    def change(self, **fields) -> services.StockChange:
        raise NotImplementedError

    def post(self, request: Request) -> Response:
        idempotency = Idempotency.from_request(request)
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        change = self.change(
            product_id=fields.pop("product_id"),
            warehouse_code=fields.pop("warehouse"),
            actor_id=request.user.pk,
            idempotency=idempotency,
            **fields,
        )
        return idempotent_response(
            idempotency,
            lambda: StockChangeOutputSerializer(change).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema_view(
    post=extend_schema(
        tags=["stock"],
        operation_id="stock_inbound",
        examples=[
            request_example(
                "Receive 24 demo mugs in Seoul",
                {
                    "product_id": demo.MUG,
                    "warehouse": "SEL-1",
                    "quantity": 24,
                    "reason": "PO 7731",
                },
                as_role="warehouse_admin",
            )
        ],
        summary="Receive units into a warehouse (creates the stock row on first inbound)",
        parameters=[IDEMPOTENCY_HEADER],
        request=StockInboundInputSerializer,
        responses={
            201: StockChangeOutputSerializer,
            **error_responses(400, 401, 403, 404, 409, 422),
        },
    )
)
class StockInboundView(_StockChangeView):
    input_serializer = StockInboundInputSerializer

    def change(self, **fields) -> services.StockChange:
        return services.stock_inbound(**fields)


@extend_schema_view(
    post=extend_schema(
        tags=["stock"],
        operation_id="stock_adjust",
        examples=[
            request_example(
                "Count the demo mugs in Busan",
                {
                    "product_id": demo.MUG,
                    "warehouse": "BSN-1",
                    "on_hand": 198,
                    "reason": "cycle count",
                },
                as_role="warehouse_admin",
            )
        ],
        summary="Set on_hand to a counted value; 409 below_reserved if holds need more",
        parameters=[IDEMPOTENCY_HEADER],
        request=StockAdjustInputSerializer,
        responses={
            201: StockChangeOutputSerializer,
            **error_responses(400, 401, 403, 404, 422, s409="`below_reserved`"),
        },
    )
)
class StockAdjustView(_StockChangeView):
    input_serializer = StockAdjustInputSerializer

    def change(self, **fields) -> services.StockChange:
        return services.stock_adjust(**fields)


class MovementListView(generics.ListAPIView):
    permission_classes = [IsWarehouseAdmin]
    serializer_class = StockMovementOutputSerializer
    filterset_class = MovementFilterSet
    default_ordering = "-id"

    @extend_schema(
        tags=["stock"],
        operation_id="stock_movements_list",
        summary="The stock ledger, newest first",
        responses={
            200: StockMovementOutputSerializer(many=True),
            **error_responses(400, 401, 403),
        },
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return movement_list()
