from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.lockout import LoginLockedOut, lockout_retry_after_seconds
from apps.accounts.permissions import IsPersonLogin, user_of
from apps.accounts.selectors import api_token_get_for_user, api_token_list_for_user
from apps.accounts.services import api_token_create, api_token_revoke
from apps.api.errors import error_responses
from apps.api.fields import StrictCharField
from apps.common.exceptions import ApplicationError


class InvalidCredentials(ApplicationError):
    code = "invalid_credentials"
    status_code = 401
    default_message = _("Username/email or password is wrong.")


class ApiTokenOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField()
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)


class ApiTokenCreateApi(APIView):
    """Exchange a login for a bearer token (for game clients and tools). Shown once.

    Failed attempts count toward the login lockout shared with the portal and admin login
    forms: `401 invalid_credentials`, then `429 login_locked_out` with `details.retry_after`.
    """

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_scope = "auth"

    class InputSerializer(serializers.Serializer):
        login = StrictCharField(help_text="Username or email.")
        password = StrictCharField(style={"input_type": "password"})
        name = StrictCharField(max_length=100, default="api")

    class OutputSerializer(ApiTokenOutputSerializer):
        token = serializers.CharField(help_text="The bearer token. It is never shown again.")

    @extend_schema(
        request=InputSerializer,
        responses={201: OutputSerializer, **error_responses(InvalidCredentials, LoginLockedOut)},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request, username=data.validated_data["login"], password=data.validated_data["password"]
        )
        if user is None:
            # django-axes flags the request when this failure reached the limit or it refused
            # the attempt because of an earlier lockout (apps/accounts/lockout.py).
            if getattr(request, "axes_locked_out", False):
                raise LoginLockedOut(details={"retry_after": lockout_retry_after_seconds()})
            raise InvalidCredentials()
        created = api_token_create(user=user, name=data.validated_data["name"])
        body = ApiTokenOutputSerializer(created.token).data | {"token": created.secret}
        return Response(body, status=status.HTTP_201_CREATED)


class ApiTokenListApi(APIView):
    permission_classes = [IsPersonLogin]

    @extend_schema(responses={200: ApiTokenOutputSerializer(many=True)}, tags=["auth"])
    def get(self, request: Request) -> Response:
        tokens = api_token_list_for_user(user=user_of(request))
        return Response(ApiTokenOutputSerializer(tokens, many=True).data)


class ApiTokenRevokeApi(APIView):
    permission_classes = [IsPersonLogin]

    @extend_schema(request=None, responses={204: None}, tags=["auth"])
    def delete(self, request: Request, token_id: int) -> Response:
        token = api_token_get_for_user(user=user_of(request), token_id=token_id)
        api_token_revoke(token=token)
        return Response(status=status.HTTP_204_NO_CONTENT)
