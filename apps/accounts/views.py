from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.schema import REFRESH_FROM_LOGIN, error_responses, request_example
from apps.core.throttling import ScopedRateThrottle

from . import services
from .serializers import (
    MeOutputSerializer,
    RefreshTokenInputSerializer,
    SignupInputSerializer,
    SignupOutputSerializer,
    TokenObtainInputSerializer,
    TokenPairOutputSerializer,
)


class SignupView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth_signup"

    @extend_schema(
        tags=["auth"],
        operation_id="auth_signup",
        examples=[
            request_example(
                "Sign up a new customer",
                {
                    "email": "new.customer@example.com",
                    "password": "Correct-Horse-42",
                    "password_confirm": "Correct-Horse-42",
                },
            )
        ],
        summary="Sign up with an email and a password",
        request=SignupInputSerializer,
        responses={201: SignupOutputSerializer, **error_responses(400, 429)},
    )
    def post(self, request: Request) -> Response:
        data = SignupInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_signup(
            email=data.validated_data["email"], password=data.validated_data["password"]
        )
        return Response(SignupOutputSerializer(user).data, status=status.HTTP_201_CREATED)


class TokenObtainView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth_token"

    @extend_schema(
        tags=["auth"],
        operation_id="auth_token_obtain",
        examples=[
            request_example(
                "Log in as the demo customer",
                {"email": "customer@example.com", "password": "demo-customer-2026"},
            )
        ],
        summary="Exchange email and password for an access and a refresh token",
        request=TokenObtainInputSerializer,
        responses={200: TokenPairOutputSerializer, **error_responses(400, 401, 429)},
    )
    def post(self, request: Request) -> Response:
        data = TokenObtainInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pair = services.auth_token_obtain(request=request._request, **data.validated_data)
        return Response(TokenPairOutputSerializer(pair).data)


class TokenRefreshView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth_token"

    @extend_schema(
        tags=["auth"],
        operation_id="auth_token_refresh",
        examples=[
            request_example(
                "Rotate the demo customer's refresh token",
                {"refresh": REFRESH_FROM_LOGIN},
                first="log in (POST /api/v1/auth/token/) and paste its `refresh` here",
            )
        ],
        summary="Rotate a refresh token: the old one stops working, a new pair is returned",
        request=RefreshTokenInputSerializer,
        responses={200: TokenPairOutputSerializer, **error_responses(400, 401, 429)},
    )
    def post(self, request: Request) -> Response:
        data = RefreshTokenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pair = services.auth_token_refresh(refresh=data.validated_data["refresh"])
        return Response(TokenPairOutputSerializer(pair).data)


class LogoutView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["auth"],
        operation_id="auth_logout",
        examples=[
            request_example(
                "Log the demo customer out",
                {"refresh": REFRESH_FROM_LOGIN},
                first="log in (POST /api/v1/auth/token/) and paste its `refresh` here",
            )
        ],
        summary="Log out: blacklist the caller's refresh token",
        request=RefreshTokenInputSerializer,
        responses={205: None, **error_responses(400, 401)},
    )
    def post(self, request: Request) -> Response:
        data = RefreshTokenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.auth_logout(user=request.user, refresh=data.validated_data["refresh"])
        return Response(status=status.HTTP_205_RESET_CONTENT)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["auth"],
        operation_id="auth_me",
        summary="The authenticated user and their roles",
        responses={200: MeOutputSerializer, **error_responses(401)},
    )
    def get(self, request: Request) -> Response:
        return Response(MeOutputSerializer(request.user).data)
