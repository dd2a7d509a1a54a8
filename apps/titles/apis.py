from datetime import timedelta

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api.errors import error_responses
from apps.titles import scopes
from apps.titles.exceptions import CredentialNotUsable
from apps.titles.permissions import IsTitleClient, title_client_of, title_scope
from apps.titles.selectors import title_get_active, title_list_active
from apps.titles.services import title_credential_rotate


class TitleOutputSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField(
        source="localized_name",
        help_text="The name in the response's language (Accept-Language, or the player's own "
        "setting in the portal session), else its default name.",
    )
    name_translations = serializers.DictField(
        child=serializers.CharField(),
        help_text='The name per language code, e.g. {"ja": "スターフォール・アリーナ"} (languages '
        "without one show the default name).",
    )
    publisher = serializers.CharField()
    description = serializers.CharField()
    website = serializers.CharField()
    platforms = serializers.ListField(child=serializers.CharField())
    default_locale = serializers.CharField()


class TitleListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: TitleOutputSerializer(many=True)}, tags=["titles"])
    def get(self, request: Request) -> Response:
        return Response(TitleOutputSerializer(title_list_active(), many=True).data)


class TitleDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: TitleOutputSerializer}, tags=["titles"])
    def get(self, request: Request, slug: str) -> Response:
        return Response(TitleOutputSerializer(title_get_active(slug=slug)).data)


class CredentialOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    expires_at = serializers.DateTimeField(allow_null=True)


class TitleClientMeApi(APIView):
    """Which title and scopes the calling key has (for game server operators)."""

    permission_classes = [IsTitleClient]

    class OutputSerializer(serializers.Serializer):
        title = TitleOutputSerializer()
        credential = CredentialOutputSerializer()

    @extend_schema(responses={200: OutputSerializer}, tags=["titles"])
    def get(self, request: Request) -> Response:
        client = title_client_of(request)
        body = {"title": client.title, "credential": client.credential}
        return Response(self.OutputSerializer(body).data)


class TitleCredentialRotateApi(APIView):
    """Rotate the calling key: a successor is returned once, with the same scopes and the same
    ``expires_at`` (rotation never extends a key's life); the old key keeps working for
    ``grace_seconds`` (default from settings, never past its own expiry) so servers can roll
    over."""

    permission_classes = [title_scope(scopes.CREDENTIALS_ROTATE)]

    class InputSerializer(serializers.Serializer):
        grace_seconds = serializers.IntegerField(
            min_value=0, max_value=7 * 24 * 3600, required=False
        )

    class OutputSerializer(CredentialOutputSerializer):
        key = serializers.CharField(help_text="The new key. It is never shown again.")

    @extend_schema(
        request=InputSerializer,
        responses={201: OutputSerializer, **error_responses(CredentialNotUsable)},
        tags=["titles"],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        grace = data.validated_data.get("grace_seconds")
        issued = title_credential_rotate(
            credential=title_client_of(request).credential,
            grace=None if grace is None else timedelta(seconds=grace),
        )
        body = CredentialOutputSerializer(issued.credential).data | {"key": issued.key}
        return Response(body, status=status.HTTP_201_CREATED)
