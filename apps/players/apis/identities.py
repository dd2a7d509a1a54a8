"""Linked game identities: game servers resolve identities and mint claim codes (title key,
scope ``identities:write``); players list, claim and unlink their own (docs/players.md)."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api.errors import error_responses
from apps.api.fields import StrictCharField
from apps.common.exceptions import NotFound
from apps.players import selectors
from apps.players.apis.errors import IDENTITY_ERRORS
from apps.players.apis.serializers import IdentitySerializer, StatsSerializer
from apps.players.exceptions import ClaimCodeInvalid, DisplayNameTaken, IdentityAlreadyClaimed
from apps.players.identities import (
    identity_claim_code_issue,
    identity_claim_redeem,
    identity_unlink,
)
from apps.players.models import IdentityProvider
from apps.players.permissions import IsPlayer, player_of
from apps.players.services import player_get_or_create_by_identity
from apps.titles import scopes
from apps.titles.permissions import title_client_of, title_scope

TAGS = ["identities"]


class IdentityInputSerializer(serializers.Serializer):
    provider = serializers.ChoiceField(choices=IdentityProvider.choices)
    external_id = StrictCharField(max_length=128)
    display_name_hint = StrictCharField(max_length=64, required=False, allow_blank=True)


IDENTITY_EXAMPLE = OpenApiExample(
    "Steam player",
    value={"provider": "steam", "external_id": "76561198000000001", "display_name_hint": "Kai"},
    request_only=True,
)


class IdentityResolveApi(APIView):
    """The community player of a game identity; unknown identities get a shadow player
    (named after ``display_name_hint`` when it is a valid, free, not reserved name, else
    ``Player-XXXXXXXX``). Records your title as using the identity (docs/players.md)."""

    permission_classes = [title_scope(scopes.IDENTITIES_WRITE)]

    class OutputSerializer(serializers.Serializer):
        player_id = serializers.IntegerField()
        display_name = serializers.CharField()
        is_claimed = serializers.BooleanField()

    @extend_schema(
        request=IdentityInputSerializer,
        responses={200: OutputSerializer, **error_responses(DisplayNameTaken, *IDENTITY_ERRORS)},
        tags=TAGS,
        examples=[IDENTITY_EXAMPLE],
    )
    def post(self, request: Request) -> Response:
        data = IdentityInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        player = player_get_or_create_by_identity(
            title=title_client_of(request).title, **data.validated_data
        )
        return Response(
            {
                "player_id": player.id,
                "display_name": player.display_name,
                "is_claimed": not player.is_shadow,
            }
        )


class IdentityLookupApi(APIView):
    """A game server reads the community player behind a game identity (scope
    ``players:read``): display name, claim state and the calling title's own stats. It never
    creates a shadow player and shows nothing the title does not already own."""

    permission_classes = [title_scope(scopes.PLAYERS_READ)]

    class InputSerializer(serializers.Serializer):
        provider = serializers.ChoiceField(choices=IdentityProvider.choices)
        external_id = StrictCharField(max_length=128)

    class OutputSerializer(serializers.Serializer):
        player_id = serializers.IntegerField()
        display_name = serializers.CharField()
        is_claimed = serializers.BooleanField()
        stats = StatsSerializer(allow_null=True)

    @extend_schema(
        parameters=[InputSerializer],
        responses={200: OutputSerializer, **error_responses(NotFound)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        player = selectors.player_get_by_identity(**data.validated_data)
        stats = selectors.title_stats_of(player=player, title=title_client_of(request).title)
        body = {"player_id": player.id, "display_name": player.display_name,
                "is_claimed": not player.is_shadow, "stats": stats}  # fmt: skip
        return Response(self.OutputSerializer(body).data)


class IdentityClaimCodeCreateApi(APIView):
    """Mint a one-time claim code for the identity signed in to your game; show it to that
    player, who redeems it in the portal within the code's lifetime (15 minutes). Only for
    identities your title created or used (its events or resolve calls named it):
    ``identity_not_known_to_title`` (404) otherwise; ``identity_already_claimed`` (409) when a
    player already owns it. An unknown identity gets a shadow player first."""

    permission_classes = [title_scope(scopes.IDENTITIES_WRITE)]

    class OutputSerializer(serializers.Serializer):
        code = serializers.CharField()
        expires_at = serializers.DateTimeField()
        player_id = serializers.IntegerField()

    @extend_schema(
        request=IdentityInputSerializer,
        responses={
            201: OutputSerializer,
            **error_responses(IdentityAlreadyClaimed, DisplayNameTaken, *IDENTITY_ERRORS),
        },
        tags=TAGS,
        examples=[
            IDENTITY_EXAMPLE,
            OpenApiExample(
                "Code",
                value={"code": "K7QM-4XPA", "expires_at": "2026-01-01T12:15:00Z", "player_id": 9},
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        data = IdentityInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        issued = identity_claim_code_issue(
            title=title_client_of(request).title, **data.validated_data
        )
        body = {"code": issued.code, "expires_at": issued.expires_at, "player_id": issued.player.id}
        return Response(self.OutputSerializer(body).data, status=status.HTTP_201_CREATED)


class MyIdentityListApi(APIView):
    permission_classes = [IsPlayer]

    @extend_schema(responses={200: IdentitySerializer(many=True)}, tags=TAGS)
    def get(self, request: Request) -> Response:
        identities = selectors.identities_of(player=player_of(request))
        return Response(IdentitySerializer(identities, many=True).data)


class MyIdentityClaimApi(APIView):
    """Redeem a claim code shown by a game: links that game account to me and moves its
    history (stats, achievements, activity) into my profile."""

    permission_classes = [IsPlayer]
    throttle_scope = "auth"

    class InputSerializer(serializers.Serializer):
        code = StrictCharField(max_length=32)

    @extend_schema(
        request=InputSerializer,
        responses={201: IdentitySerializer, **error_responses(ClaimCodeInvalid)},
        tags=TAGS,
        examples=[OpenApiExample("Code", value={"code": "K7QM-4XPA"}, request_only=True)],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        identity = identity_claim_redeem(
            player=player_of(request), code=data.validated_data["code"]
        )
        return Response(IdentitySerializer(identity).data, status=status.HTTP_201_CREATED)


class MyIdentityDeleteApi(APIView):
    permission_classes = [IsPlayer]

    @extend_schema(request=None, responses={204: None}, tags=TAGS)
    def delete(self, request: Request, identity_id: int) -> Response:
        identity_unlink(player=player_of(request), identity_id=identity_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
