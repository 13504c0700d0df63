from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core import demo
from apps.core.csv_export import CSVRenderer, csv_lines
from apps.core.idempotency import Idempotency, idempotent_response
from apps.core.permissions import IsStaff
from apps.core.schema import IDEMPOTENCY_HEADER, demo_id, error_responses, request_example
from apps.points.models import PointEntry
from apps.points.serializers import PointBalanceOutputSerializer

from . import selectors, services
from .filters import CompanyHistoryFilterSet, SettlementFilterSet
from .models import Company, Settlement
from .serializers import (
    CompanyChargeInputSerializer,
    CompanyCreateInputSerializer,
    CompanyEntryOutputSerializer,
    CompanyOutputSerializer,
    CompanyUseInputSerializer,
    MemberAddInputSerializer,
    MembershipOutputSerializer,
    PeriodInputSerializer,
    SettlementOutputSerializer,
    SettlementRunOutputSerializer,
)

TAGS = ["companies"]


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        operation_id="companies_list",
        summary="Companies: every one for staff, a member's own otherwise",
        responses={200: CompanyOutputSerializer(many=True), **error_responses(401)},
    ),
    post=extend_schema(
        tags=TAGS,
        operation_id="companies_create",
        examples=[
            request_example(
                "Create a company",
                {"name": "Acme Ltd.", "registration_number": "110-81-12345"},
                as_role="staff",
            )
        ],
        summary="Create a company and its points wallet (staff)",
        request=CompanyCreateInputSerializer,
        responses={201: CompanyOutputSerializer, **error_responses(400, 401, 403)},
    ),
)
class CompanyListCreateView(generics.ListAPIView):
    serializer_class = CompanyOutputSerializer

    def get_permissions(self):
        return [IsStaff()] if self.request.method == "POST" else [IsAuthenticated()]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Company.objects.none()
        return selectors.companies_visible(user=self.request.user)

    def post(self, request: Request) -> Response:
        data = CompanyCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        company = services.company_create(**data.validated_data)
        return Response(CompanyOutputSerializer(company).data, status=status.HTTP_201_CREATED)


DEMO_COMPANY = demo_id("id", demo.COMPANY, "The demo company")


class CompanyDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        operation_id="companies_retrieve",
        summary="A company (staff, or its members)",
        parameters=[DEMO_COMPANY],
        responses={200: CompanyOutputSerializer, **error_responses(401, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        company = selectors.company_get(company_id=pk, user=request.user)
        return Response(CompanyOutputSerializer(company).data)


class MemberAddView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        tags=TAGS,
        operation_id="companies_members_add",
        examples=[
            request_example(
                "Add the demo warehouse admin (user 2) as a member",
                {"user_id": 2, "role": "member"},
                as_role="staff",
            )
        ],
        parameters=[DEMO_COMPANY],
        summary="Add a member or a manager to a company (staff)",
        request=MemberAddInputSerializer,
        responses={
            201: MembershipOutputSerializer,
            **error_responses(400, 401, 403, 404, s409="`already_member`"),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        data = MemberAddInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.member_add(company_id=pk, **data.validated_data)
        return Response(MembershipOutputSerializer(membership).data, status=status.HTTP_201_CREATED)


class CompanyBalanceView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        operation_id="companies_points_balance",
        summary="The company's points: free, paid and total (members and staff)",
        parameters=[DEMO_COMPANY],
        responses={200: PointBalanceOutputSerializer, **error_responses(401, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        selectors.company_get(company_id=pk, user=request.user)
        balance = selectors.company_wallet_balance(company_id=pk)
        return Response(PointBalanceOutputSerializer(balance).data)


class CompanyHistoryView(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = CompanyEntryOutputSerializer
    filterset_class = CompanyHistoryFilterSet
    default_ordering = "-created_at"

    @extend_schema(
        tags=TAGS,
        operation_id="companies_points_history",
        summary="The company's points ledger, newest first (a member sees its own uses)",
        parameters=[DEMO_COMPANY],
        responses={
            200: CompanyEntryOutputSerializer(many=True),
            **error_responses(400, 401, 404),
        },
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PointEntry.objects.none()
        return selectors.company_points_history(
            company_id=self.kwargs["pk"], user=self.request.user
        )


# A write of one entry on a company's wallet, answered 201 with the entry;
# idempotent, the company's id part of the request's fingerprint.
class _CompanyEntryView(APIView):
    input_serializer: type[serializers.Serializer]

    def write(self, request: Request, company_id: int, **fields) -> PointEntry:
        raise NotImplementedError

    def post(self, request: Request, pk: int) -> Response:
        idempotency = Idempotency.from_request(request, company_id=pk)
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = self.write(request, pk, **data.validated_data, idempotency=idempotency)
        return idempotent_response(
            idempotency,
            lambda: CompanyEntryOutputSerializer(entry).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema_view(
    post=extend_schema(
        tags=TAGS,
        operation_id="companies_points_charge",
        examples=[
            request_example(
                "Charge 1,000 paid points for 1,000.00",
                {
                    "amount": 1000,
                    "kind": "paid",
                    "paid_amount": "1000.00",
                    "description": "Invoice 2026-12",
                },
                as_role="staff",
            )
        ],
        summary="Charge paid points (with the money received) or grant free ones (staff)",
        parameters=[IDEMPOTENCY_HEADER, DEMO_COMPANY],
        request=CompanyChargeInputSerializer,
        responses={
            201: CompanyEntryOutputSerializer,
            **error_responses(400, 401, 403, 404, 409, 422),
        },
    )
)
class CompanyChargeView(_CompanyEntryView):
    permission_classes = [IsStaff]
    input_serializer = CompanyChargeInputSerializer

    def write(self, request: Request, company_id: int, **fields) -> PointEntry:
        return services.company_points_charge(
            company_id=company_id, actor_id=request.user.pk, **fields
        )


@extend_schema_view(
    post=extend_schema(
        tags=TAGS,
        operation_id="companies_points_use",
        examples=[
            request_example(
                "Spend 50 of the demo company's points", {"amount": 50, "description": "Team lunch"}
            )
        ],
        summary="Spend the company's points, free before paid (members)",
        parameters=[IDEMPOTENCY_HEADER, DEMO_COMPANY],
        request=CompanyUseInputSerializer,
        responses={
            201: CompanyEntryOutputSerializer,
            **error_responses(
                400,
                401,
                404,
                422,
                s409="`insufficient_points` (details: {requested, available}), "
                "`idempotency_key_in_use`",
            ),
        },
    )
)
class CompanyUseView(_CompanyEntryView):
    permission_classes = [IsAuthenticated]
    input_serializer = CompanyUseInputSerializer

    def write(self, request: Request, company_id: int, **fields) -> PointEntry:
        return services.company_points_use(company_id=company_id, user=request.user, **fields)


class SettlementRunCreateView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        tags=TAGS,
        operation_id="settlement_runs_create",
        examples=[request_example("Settle November 2026", {"period": "2026-11"}, as_role="staff")],
        summary="Settle every company for a closed month, in parallel chunks (staff)",
        description="Answers 202 with the run at once; its chunks run on Celery's `batch` "
        "queue. A run of the month still queued or running is answered as it is; a month "
        "settled already is 409 `already_settled` (its run's id in `details`).",
        parameters=[IDEMPOTENCY_HEADER],
        request=PeriodInputSerializer,
        responses={
            202: SettlementRunOutputSerializer,
            **error_responses(400, 401, 403, 422, s409="`already_settled`"),
        },
    )
    def post(self, request: Request) -> Response:
        idempotency = Idempotency.from_request(request)
        data = PeriodInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = services.settlement_run_start(
            period=data.validated_data["period"],
            requested_by_id=request.user.pk,
            idempotency=idempotency,
        )
        return idempotent_response(
            idempotency,
            lambda: SettlementRunOutputSerializer(selectors.settlement_run_get(run_id=run.pk)).data,
            status=status.HTTP_202_ACCEPTED,
        )


class SettlementRunDetailView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        tags=TAGS,
        operation_id="settlement_runs_retrieve",
        parameters=[
            demo_id("id", demo.SETTLEMENT_RUN, f"The demo's run, {demo.SETTLED_PERIOD} settled")
        ],
        summary="A settlement run: progress, failed chunks and, once done, the totals",
        responses={200: SettlementRunOutputSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        run = selectors.settlement_run_get(run_id=pk)
        return Response(SettlementRunOutputSerializer(run).data)


class CompanySettleView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        tags=TAGS,
        operation_id="companies_settle",
        summary="Settle one company for a closed month (its settlement, written once)",
        parameters=[DEMO_COMPANY],
        request=PeriodInputSerializer,
        examples=[
            request_example(
                "Settle the demo company for October 2026", {"period": "2026-10"}, as_role="staff"
            )
        ],
        responses={200: SettlementOutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        data = PeriodInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        settlement = services.company_settle(company_id=pk, period=data.validated_data["period"])
        return Response(SettlementOutputSerializer(settlement).data)


class SettlementListView(generics.ListAPIView):
    """Settlements by period: a page as JSON, or every row as CSV."""

    permission_classes = [IsAuthenticated]
    serializer_class = SettlementOutputSerializer
    filterset_class = SettlementFilterSet
    renderer_classes = [JSONRenderer, CSVRenderer]
    default_ordering = "period"

    @extend_schema(
        tags=TAGS,
        operation_id="settlements_list",
        summary="Settlements (staff: all; managers: their companies')",
        responses={
            200: OpenApiResponse(
                SettlementOutputSerializer(many=True),
                description="A page as JSON; with `?format=csv` or `Accept: text/csv`, every "
                "row as CSV with a header row.",
            ),
            **error_responses(400, 401),
        },
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Settlement.objects.none()
        return selectors.settlements_visible(user=self.request.user)

    def handle_exception(self, exc):
        # Errors answer in the JSON envelope, also to a request for CSV.
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)

    def list(self, request: Request, *args, **kwargs):
        if request.accepted_renderer.format != "csv":
            return super().list(request, *args, **kwargs)
        rows = self.filter_queryset(self.get_queryset()).order_by("period", "company_id")
        columns = self.get_serializer().fields.keys()
        serialize = self.get_serializer_class()
        response = StreamingHttpResponse(
            csv_lines(columns, (serialize(row).data for row in rows.iterator(chunk_size=2000))),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = 'attachment; filename="settlements.csv"'
        return response
