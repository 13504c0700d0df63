"""The report lists (JSON pages, or the whole list as CSV) and their summaries."""

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.csv_export import CSVRenderer, csv_lines
from apps.core.permissions import IsStaff, IsWarehouseAdmin
from apps.core.replica import ReplicaReads
from apps.core.schema import error_responses

from . import selectors
from .filters import StockAlertFilterSet
from .models import PointDailyReport, ReportKind, StockAlert, StockDailyReport
from .serializers import (
    PointDailyReportSerializer,
    PointDailySummarySerializer,
    PointReportQuerySerializer,
    StockAlertSerializer,
    StockDailyReportSerializer,
    StockDailySummarySerializer,
    StockReportQuerySerializer,
    SummaryQuerySerializer,
)


class ReportListView(ReplicaReads, generics.ListAPIView):
    """A report's rows by (date, key): a page as JSON, or every row as CSV."""

    kind: str
    model: type
    query_serializer: type[serializers.Serializer]
    row_serializer: type[serializers.Serializer]
    renderer_classes = [JSONRenderer, CSVRenderer]
    default_ordering = "date"
    ordering_fields = ()

    def get_queryset(self):
        return self.model.objects.none()  # the schema's model; rows come from selectors

    def reads_replica(self, request) -> bool:
        # A CSV export streams after the view has returned: a replica failing
        # midway could not be retried, only cut short. Exports read the primary.
        return request.accepted_renderer.format != "csv"

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if response.status_code >= 400:
            # Errors answer in the JSON envelope, also to a request for CSV.
            self.request.accepted_renderer = JSONRenderer()
            self.request.accepted_media_type = JSONRenderer.media_type
        return response

    def list(self, request: Request, *args, **kwargs):
        data = self.query_serializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        query = selectors.ReportQuery(**data.validated_data)
        if request.accepted_renderer.format == "csv":
            rows = selectors.report_csv_rows(self.kind, query)
            response = StreamingHttpResponse(
                csv_lines(self.row_serializer().fields.keys(), rows),
                content_type="text/csv; charset=utf-8",
            )
            response["Content-Disposition"] = f'attachment; filename="{self.kind}-daily.csv"'
            return response
        self.paginator.paginate_json(
            lambda keyset: selectors.report_page(self.kind, query, keyset),
            request,
            self,
            self.model,
        )
        return self.paginator.get_json_response()


def _list_schema(summary: str, query, rows) -> dict:
    return {
        "tags": ["reports"],
        "summary": summary,
        "parameters": [query],
        "responses": {
            200: OpenApiResponse(
                rows(many=True),
                description="A page as JSON; with `?format=csv` or `Accept: text/csv`, every "
                "row as CSV with a header row.",
            ),
            **error_responses(400, 401, 403),
        },
    }


class StockDailyReportListView(ReportListView):
    permission_classes = [IsWarehouseAdmin]
    kind = ReportKind.STOCK
    model = StockDailyReport
    query_serializer = StockReportQuerySerializer
    row_serializer = StockDailyReportSerializer

    @extend_schema(
        operation_id="reports_stock_daily_list",
        **_list_schema(
            "Daily stock per product and warehouse (warehouse admins)",
            StockReportQuerySerializer,
            StockDailyReportSerializer,
        ),
    )
    def get(self, request: Request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class PointDailyReportListView(ReportListView):
    permission_classes = [IsStaff]
    kind = ReportKind.POINTS
    model = PointDailyReport
    query_serializer = PointReportQuerySerializer
    row_serializer = PointDailyReportSerializer

    @extend_schema(
        operation_id="reports_points_daily_list",
        **_list_schema(
            "Daily points per user (staff)", PointReportQuerySerializer, PointDailyReportSerializer
        ),
    )
    def get(self, request: Request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# The summaries' one parameter, with a day a reader can press as written.
DAY = OpenApiParameter(
    "date",
    OpenApiTypes.DATE,
    OpenApiParameter.QUERY,
    required=True,
    description=SummaryQuerySerializer().fields["date"].help_text,
    examples=[OpenApiExample("1 December 2026", value="2026-12-01")],
)


class ReportSummaryView(ReplicaReads, APIView):
    kind: str

    def get(self, request: Request) -> Response:
        data = SummaryQuerySerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        return Response(selectors.report_summary(self.kind, data.validated_data["date"]))


class StockDailySummaryView(ReportSummaryView):
    permission_classes = [IsWarehouseAdmin]
    kind = ReportKind.STOCK

    @extend_schema(
        tags=["reports"],
        operation_id="reports_stock_daily_summary",
        summary="One day's stock counters summed over every product and warehouse",
        parameters=[DAY],
        responses={200: StockDailySummarySerializer, **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class PointDailySummaryView(ReportSummaryView):
    permission_classes = [IsStaff]
    kind = ReportKind.POINTS

    @extend_schema(
        tags=["reports"],
        operation_id="reports_points_daily_summary",
        summary="One day's points counters summed over every user",
        parameters=[DAY],
        responses={200: PointDailySummarySerializer, **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class StockAlertListView(ReplicaReads, generics.ListAPIView):
    permission_classes = [IsWarehouseAdmin]
    serializer_class = StockAlertSerializer
    filterset_class = StockAlertFilterSet
    default_ordering = "-opened_at"

    def get_queryset(self):
        return StockAlert.objects.select_related("warehouse")

    @extend_schema(
        tags=["reports"],
        operation_id="stock_alerts_list",
        summary="Low-stock alerts, newest first (warehouse admins)",
        responses={200: StockAlertSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
