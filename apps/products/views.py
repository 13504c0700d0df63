from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core import demo
from apps.core.permissions import IsStaffOrReadOnly
from apps.core.replica import ReplicaReads
from apps.core.schema import demo_id, error_responses, request_example

from . import services
from .filters import ProductFilterSet, ProductListFilterSerializer
from .listing import product_page
from .models import Product
from .selectors import product_get, warehouse_get, warehouse_list
from .serializers import (
    ProductInputSerializer,
    ProductOutputSerializer,
    WarehouseInputSerializer,
    WarehouseOutputSerializer,
)


@extend_schema_view(
    get=extend_schema(
        tags=["catalog"],
        operation_id="products_list",
        summary="Browse and search the catalog",
        responses={200: ProductOutputSerializer(many=True), **error_responses(400)},
    ),
    post=extend_schema(
        tags=["catalog"],
        operation_id="products_create",
        examples=[
            request_example(
                "Add a product",
                {
                    "sku": "BOWL-CER-07",
                    "name": "Ceramic Bowl",
                    "description": "Stoneware bowl.",
                    "price": "15.00",
                },
                as_role="staff",
            )
        ],
        summary="Create a product (staff)",
        request=ProductInputSerializer,
        responses={201: ProductOutputSerializer, **error_responses(400, 401, 403)},
    ),
)
class ProductListCreateView(ReplicaReads, generics.ListAPIView):
    permission_classes = [IsStaffOrReadOnly]
    serializer_class = ProductOutputSerializer
    queryset = Product.objects.none()  # the schema's model; pages are read by product_page
    filterset_class = ProductFilterSet  # the schema's parameters; parsed by the serializer
    ordering_fields = ("name", "price", "created_at")
    default_ordering = "-created_at"

    def list(self, request: Request, *args, **kwargs) -> HttpResponse:
        filters = ProductListFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        self.paginator.paginate_json(
            lambda keyset: product_page(keyset, **filters.validated_data), request, self, Product
        )
        return self.paginator.get_json_response()

    def post(self, request: Request) -> Response:
        data = ProductInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        product = services.product_create(data=services.ProductData(**data.validated_data))
        return Response(ProductOutputSerializer(product).data, status=status.HTTP_201_CREATED)


THE_MUG = demo_id("id", demo.MUG, "The demo mug", OpenApiTypes.UUID)


# GET, PUT and PATCH of one product. Its DELETE is the stock app's
# (apps/stock/views.py, ProductDeleteDetailView, routed at this path): a product
# cannot leave the catalog while units of it are held.
class ProductDetailView(ReplicaReads, APIView):
    permission_classes = [IsStaffOrReadOnly]

    @extend_schema(
        tags=["catalog"],
        operation_id="products_retrieve",
        summary="One product",
        parameters=[THE_MUG],
        responses={200: ProductOutputSerializer, **error_responses(404)},
    )
    def get(self, request: Request, pk) -> Response:
        return Response(ProductOutputSerializer(product_get(product_id=pk)).data)

    def _update(self, request: Request, pk, *, partial: bool) -> Response:
        product = product_get(product_id=pk)
        data = ProductInputSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        product = services.product_update(product=product, changes=dict(data.validated_data))
        return Response(ProductOutputSerializer(product).data)

    @extend_schema(
        tags=["catalog"],
        operation_id="products_update",
        examples=[
            request_example(
                "Rename the demo mug",
                {
                    "sku": "MUG-CER-03",
                    "name": "Ceramic Coffee Mug, 350 ml",
                    "description": "Stoneware mug, dishwasher safe.",
                    "price": "12.00",
                },
                as_role="staff",
            )
        ],
        parameters=[THE_MUG],
        summary="Replace a product's fields (staff)",
        request=ProductInputSerializer,
        responses={200: ProductOutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def put(self, request: Request, pk) -> Response:
        return self._update(request, pk, partial=False)

    @extend_schema(
        tags=["catalog"],
        operation_id="products_partial_update",
        examples=[request_example("Reprice the demo mug", {"price": "11.50"}, as_role="staff")],
        parameters=[THE_MUG],
        summary="Change some of a product's fields (staff)",
        request=ProductInputSerializer(partial=True),
        responses={200: ProductOutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request: Request, pk) -> Response:
        return self._update(request, pk, partial=True)


@extend_schema_view(
    get=extend_schema(
        tags=["catalog"],
        operation_id="warehouses_list",
        summary="Warehouses, by reservation priority",
        responses={200: WarehouseOutputSerializer(many=True), **error_responses(400)},
    ),
    post=extend_schema(
        tags=["catalog"],
        operation_id="warehouses_create",
        examples=[
            request_example(
                "Add a warehouse",
                {"code": "DJN-1", "name": "Daejeon hub", "priority": 40},
                as_role="staff",
            )
        ],
        summary="Create a warehouse (staff)",
        request=WarehouseInputSerializer,
        responses={201: WarehouseOutputSerializer, **error_responses(400, 401, 403)},
    ),
)
class WarehouseListCreateView(generics.ListAPIView):
    permission_classes = [IsStaffOrReadOnly]
    serializer_class = WarehouseOutputSerializer
    ordering_fields = ("priority", "code", "created_at")
    default_ordering = "priority"

    def get_queryset(self):
        return warehouse_list()

    def post(self, request: Request) -> Response:
        data = WarehouseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        warehouse = services.warehouse_create(**data.validated_data)
        return Response(WarehouseOutputSerializer(warehouse).data, status=status.HTTP_201_CREATED)


SEOUL = demo_id("id", demo.WAREHOUSE, "Seoul main (SEL-1), the first demo warehouse")


class WarehouseDetailView(APIView):
    permission_classes = [IsStaffOrReadOnly]

    def _get(self, pk: int):
        return warehouse_get(warehouse_id=pk)

    @extend_schema(
        tags=["catalog"],
        operation_id="warehouses_retrieve",
        summary="One warehouse",
        parameters=[SEOUL],
        responses={200: WarehouseOutputSerializer, **error_responses(404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(WarehouseOutputSerializer(self._get(pk)).data)

    @extend_schema(
        tags=["catalog"],
        operation_id="warehouses_partial_update",
        examples=[
            request_example(
                "Make the demo Seoul warehouse second", {"priority": 25}, as_role="staff"
            )
        ],
        parameters=[SEOUL],
        summary="Change a warehouse (staff)",
        request=WarehouseInputSerializer(partial=True),
        responses={200: WarehouseOutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        data = WarehouseInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        warehouse = services.warehouse_update(
            warehouse=self._get(pk), changes=dict(data.validated_data)
        )
        return Response(WarehouseOutputSerializer(warehouse).data)
