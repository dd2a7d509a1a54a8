"""Game servers (title key, scope ``guilds:read``): a player's guild in the calling title,
with its members, for an in-game panel; and the title's guild leaderboard. Scoped to the
calling title: another title's guilds are never shown."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api.errors import error_responses
from apps.api.fields import StrictCharField
from apps.common.exceptions import NotFound
from apps.guilds import selectors
from apps.guilds.apis import GuildSerializer, LeaderboardRowSerializer
from apps.guilds.stats import guild_leaderboard
from apps.players.models import IdentityProvider
from apps.players.selectors import player_get_by_identity
from apps.titles import scopes
from apps.titles.permissions import title_client_of, title_scope

TAGS = ["guilds (game servers)"]


class GameMemberSerializer(serializers.Serializer):
    player_id = serializers.IntegerField()
    display_name = serializers.CharField(source="player.display_name")
    role = serializers.CharField(source="role.name")
    rank = serializers.IntegerField(source="role.rank")
    is_leader = serializers.BooleanField()


class GamePlayerGuildsApi(APIView):
    """The guilds of the player behind a game identity in the calling title, with members."""

    permission_classes = [title_scope(scopes.GUILDS_READ)]

    class InputSerializer(serializers.Serializer):
        provider = serializers.ChoiceField(choices=IdentityProvider.choices)
        external_id = StrictCharField(max_length=128)

    class OutputSerializer(serializers.Serializer):
        guild = GuildSerializer()
        members = GameMemberSerializer(many=True)

    @extend_schema(
        parameters=[InputSerializer],
        responses={200: OutputSerializer(many=True), **error_responses(NotFound)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        player = player_get_by_identity(**data.validated_data)
        title = title_client_of(request).title
        memberships = selectors.guilds_of_player(player=player).filter(guild__title=title)
        body = [
            {"guild": m.guild, "members": list(selectors.guild_members(guild=m.guild)[:500])}
            for m in memberships
        ]
        return Response(self.OutputSerializer(body, many=True).data)


class GameLeaderboardApi(APIView):
    permission_classes = [title_scope(scopes.GUILDS_READ)]

    class InputSerializer(serializers.Serializer):
        season = StrictCharField(max_length=32, required=False, allow_blank=True, default="")
        limit = serializers.IntegerField(min_value=1, max_value=100, default=50)

    @extend_schema(
        parameters=[InputSerializer], responses={200: LeaderboardRowSerializer(many=True)},
        tags=TAGS,
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        title = title_client_of(request).title
        rows = guild_leaderboard(title_id=title.id, season=data.validated_data["season"])
        rows = rows[: data.validated_data["limit"]]
        for row in rows:
            row.guild.title = title
        return Response(LeaderboardRowSerializer(rows, many=True).data)
