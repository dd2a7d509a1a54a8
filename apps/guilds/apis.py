"""REST for guilds, `/api/v1/guilds/...` (docs/guilds.md). Thin: validate → scoped fetch →
one service → serialize. Every refusal is declared on the operation that returns it."""

import functools
from typing import Any

from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api.errors import ErrorCode, error_responses
from apps.api.fields import StrictCharField, StrictChoiceField
from apps.api.pagination import CursorPagination
from apps.api.rows import datetimes_in_request_zone
from apps.common.exceptions import InvalidInput
from apps.common.localized_text import InvalidText, UnknownLanguage, localized
from apps.guilds import exceptions as errors
from apps.guilds import membership as membership_services
from apps.guilds import selectors, services
from apps.guilds.emblems import emblem_url, emblem_urls, guild_emblem_remove, guild_emblem_set
from apps.guilds.models import GuildJoinRequest, JoinPolicy, Permission
from apps.guilds.pagination import KeysetCursorPagination
from apps.guilds.stats import guild_leaderboard
from apps.moderation.exceptions import Banned, GuildCreationBanned, Suspended
from apps.players.apis.errors import AVATAR_ERRORS
from apps.players.apis.serializers import PlayerCardSerializer, PlayerWithPresenceSerializer
from apps.players.avatars import player_cards_of_rows
from apps.players.models import Player
from apps.players.permissions import IsPlayer, player_of
from apps.players.presence import HIDDEN, presence_states_of_rows
from apps.players.selectors import player_get_visible
from apps.titles.models import Title

TAGS = ["guilds"]
NAME_ERRORS = [
    ErrorCode(code, 400, _("The name or tag is refused (docs/guilds.md says why)."))
    for code in (
        "name_control_characters",
        "name_too_short",
        "name_too_long",
        "name_invalid_characters",
        "name_mixed_script",
        "name_reserved",
    )
]
EMBLEM_ERRORS = AVATAR_ERRORS  # the same pipeline and codes (apps/guilds/emblems.py)
SANCTIONS = (Banned, Suspended)
ACTING = (errors.NotMember, errors.NotPermitted, errors.GuildDisbanded, *SANCTIONS)


class RequestZoneDateTimeField(serializers.DateTimeField):
    """``DateTimeField`` that looks the active time zone up once per serializer rather than
    once per value (a list's child field is one instance for every row; the lookup goes
    through asgiref's context-local storage, which dominated a 200-row member page)."""

    def default_timezone(self) -> Any:
        if not hasattr(self, "_zone"):
            self._zone = super().default_timezone()
        return self._zone


class GuildSerializer(serializers.Serializer):
    """A guild's public card. Lists build the same JSON from rows (``_guild_cards``)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    tag = serializers.CharField()
    description = serializers.CharField(
        source="localized_description",
        help_text="In the response's language when the guild wrote one (Accept-Language, or "
        "the player's own setting in the portal session), else the default description.",
    )
    title = serializers.CharField(source="title.slug")
    language = serializers.CharField()
    region = serializers.CharField()
    join_policy = serializers.ChoiceField(choices=JoinPolicy.choices)
    capacity = serializers.IntegerField()
    member_count = serializers.IntegerField()
    created_at = RequestZoneDateTimeField()
    emblem_url = serializers.SerializerMethodField()

    def get_emblem_url(self, guild: Any) -> str | None:
        return emblem_url(guild, "large")


class RoleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    rank = serializers.IntegerField()
    permissions = serializers.ListField(child=serializers.CharField())


class MemberSerializer(serializers.Serializer):
    player = PlayerWithPresenceSerializer()
    role = serializers.CharField(source="role.name")
    rank = serializers.IntegerField(source="role.rank")
    is_leader = serializers.BooleanField()
    joined_at = RequestZoneDateTimeField()


class GuildSettingsSerializer(serializers.Serializer):
    name = StrictCharField(max_length=64)
    tag = StrictCharField(max_length=16)
    description = StrictCharField(max_length=1000, required=False, allow_blank=True)
    description_translations = serializers.DictField(
        child=StrictCharField(allow_blank=True, max_length=5000),
        required=False,
        help_text='The description per language code, e.g. {"ja": "…"}: replaces them all; a '
        "language left out or empty shows `description`.",
    )
    language = serializers.ChoiceField(choices=settings.PRODUCT_LANGUAGES, required=False)
    region = serializers.ChoiceField(
        choices=settings.GUILD_REGIONS, required=False, allow_blank=True
    )
    join_policy = serializers.ChoiceField(choices=JoinPolicy.choices, required=False)
    capacity = serializers.IntegerField(min_value=1, required=False)


class PlayerIdSerializer(serializers.Serializer):
    player_id = serializers.IntegerField()


def _player(viewer: Player, player_id: int) -> Player:
    """A player the viewer may address (not blocked either way, not deleted)."""
    return player_get_visible(viewer=viewer, player_id=player_id)[0]


def _title(slug: str) -> Title:
    title = Title.objects.filter(slug=slug, is_active=True).first()
    if title is None:
        raise InvalidInput(details={"fields": {"title": ["unknown title"]}})
    return title


class GuildListApi(APIView):
    """Browse and search guilds; `q` matches the start of the folded name or tag."""

    permission_classes = [IsPlayer]
    pagination_class = KeysetCursorPagination

    class FilterSerializer(serializers.Serializer):
        title = StrictCharField(required=False, max_length=50)
        language = StrictCharField(required=False, max_length=16)
        region = StrictCharField(required=False, max_length=16)
        join_policy = StrictChoiceField(choices=JoinPolicy.choices, required=False)
        has_room = serializers.BooleanField(required=False, default=False)
        q = StrictCharField(required=False, max_length=64)
        sort = StrictChoiceField(choices=list(selectors.SORTS), default="members")

    @extend_schema(
        parameters=[FilterSerializer],
        responses={200: GuildSerializer(many=True)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        data = self._filters(request)
        rows = selectors.guild_browse_source(
            title_slug=data.get("title"),
            language=data.get("language"),
            region=data.get("region"),
            join_policy=data.get("join_policy"),
            has_room=data["has_room"],
            query=data.get("q", ""),
        )
        paginator = self.pagination_class()
        paginator.keyset = selectors.SORTS[data["sort"]]
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(_guild_cards(page))

    def _filters(self, request: Request) -> Any:
        """The validated filters. A request that names none (browse's first page, or a page
        of it) skips the serializer, whose answer would be its defaults."""
        if request.query_params.keys() <= _PAGE_PARAMETERS:
            return _default_filters()
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        return filters.validated_data


_PAGE_PARAMETERS = frozenset({"limit", "cursor"})


@functools.cache
def _default_filters() -> dict[str, Any]:
    filters = GuildListApi.FilterSerializer(data={})
    filters.is_valid(raise_exception=True)
    return dict(filters.validated_data)


def _guild_cards(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``GuildSerializer``'s output built from ``selectors.GUILD_CARD_FIELDS`` rows: the
    same keys in the same order (the description in the response's language, as
    ``Guild.localized_description``), the time zone, language and emblem URL looked up once
    per page."""
    created = datetimes_in_request_zone()
    emblem = emblem_urls("large")
    language = get_language() or settings.LANGUAGE_CODE
    return [
        {"id": row["id"], "name": row["name"], "tag": row["tag"],
         "description": localized(row["translations"], row["description"], language),
         "title": row["title__slug"],
         "language": row["language"], "region": row["region"],
         "join_policy": row["join_policy"], "capacity": row["capacity"],
         "member_count": row["member_count"],
         "created_at": created(row["created_at"]),
         "emblem_url": emblem(row["id"], row["emblem_large"])}
        for row in rows
    ]  # fmt: skip


class GuildCreateApi(APIView):
    permission_classes = [IsPlayer]

    class InputSerializer(GuildSettingsSerializer):
        title = StrictCharField(max_length=50)

    @extend_schema(
        request=InputSerializer,
        responses={
            201: GuildSerializer,
            **error_responses(
                InvalidInput,  # an unknown title
                errors.NameTaken,
                errors.TagTaken,
                errors.GuildLimitReached,
                errors.InvalidCapacity,
                GuildCreationBanned,
                *SANCTIONS,
                *NAME_ERRORS,
                UnknownLanguage,
                InvalidText,
            ),
        },
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        title = _title(data.pop("title"))
        guild = services.guild_create(founder=player_of(request), title=title, **data)
        return Response(GuildSerializer(guild).data, status=status.HTTP_201_CREATED)


class GuildDetailApi(APIView):
    permission_classes = [IsPlayer]

    class OutputSerializer(GuildSerializer):
        description_translations = serializers.DictField(
            child=serializers.CharField(),
            help_text="The description per language code, besides `description`'s default.",
        )
        roles = RoleSerializer(many=True)
        my_role = serializers.CharField(allow_null=True)
        my_permissions = serializers.ListField(child=serializers.CharField())

    class UpdateSerializer(GuildSettingsSerializer):
        name = StrictCharField(max_length=64, required=False)
        tag = StrictCharField(max_length=16, required=False)

    def _body(self, guild: Any, viewer: Player) -> dict[str, Any]:
        from apps.guilds.permissions import role_permissions

        membership = selectors.membership_get(guild=guild, player=viewer)
        body = GuildSerializer(guild).data | {
            "description_translations": guild.description_translations,
            "roles": RoleSerializer(selectors.guild_roles(guild=guild), many=True).data,
            "my_role": membership.role.name if membership else None,
            "my_permissions": sorted(role_permissions(membership.role)) if membership else [],
        }
        return body

    @extend_schema(responses={200: OutputSerializer}, tags=TAGS)
    def get(self, request: Request, guild_id: int) -> Response:
        guild = selectors.guild_get(guild_id=guild_id)
        return Response(self._body(guild, player_of(request)))

    @extend_schema(
        request=UpdateSerializer,
        responses={
            200: OutputSerializer,
            **error_responses(
                *ACTING,
                errors.NameTaken,
                errors.TagTaken,
                errors.InvalidCapacity,
                *NAME_ERRORS,
                UnknownLanguage,
                InvalidText,
            ),
        },
        tags=TAGS,
    )
    def patch(self, request: Request, guild_id: int) -> Response:
        serializer = self.UpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        actor = player_of(request)
        guild = selectors.guild_get(guild_id=guild_id)
        guild = services.guild_update(actor=actor, guild=guild, data=serializer.validated_data)
        return Response(self._body(guild, actor))


class GuildMineApi(APIView):
    permission_classes = [IsPlayer]

    class OutputSerializer(serializers.Serializer):
        guild = GuildSerializer()
        role = serializers.CharField(source="role.name")
        is_leader = serializers.BooleanField()

    @extend_schema(responses={200: OutputSerializer(many=True)}, tags=TAGS)
    def get(self, request: Request) -> Response:
        memberships = selectors.guilds_of_player(player=player_of(request))
        return Response(self.OutputSerializer(memberships, many=True).data)


def _member_list_body(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``MemberSerializer``'s output built from ``selectors.guild_member_rows`` rows: the
    same keys in the same order; presence only for members the viewer sees fully (others
    appear offline, as ``presence_visible_to`` shows them); the time zone and avatar URLs
    looked up once per page, each distinct presence turned into JSON once."""
    shown = {row["player_id"]: row["player__user_id"] for row in rows if row["viewer_sees_fully"]}
    sessions = {row["player_id"]: row["open_session"] for row in rows}
    states = presence_states_of_rows(user_ids=shown, sessions=sessions) if shown else {}
    presence = {state: state.as_dict() for state in {*states.values(), HIDDEN}}
    hidden = presence[HIDDEN]
    joined, card_of = datetimes_in_request_zone(), player_cards_of_rows("player")
    body = []
    for row in rows:
        state = states.get(row["player_id"])
        card = card_of(row)
        assert card is not None  # a membership always has its player
        card["presence"] = hidden if state is None else presence[state]
        body.append(
            {"player": card, "role": row["role__name"], "rank": row["role__rank"],
             "is_leader": row["is_leader"], "joined_at": joined(row["joined_at"])}
        )  # fmt: skip
    return body


class GuildMemberListApi(APIView):
    """A guild's members by joining order, each with their presence as the caller may see it
    (one query whatever the page size: the page, with each member's open game session)."""

    permission_classes = [IsPlayer]
    pagination_class = KeysetCursorPagination

    @extend_schema(responses={200: MemberSerializer(many=True)}, tags=TAGS)
    def get(self, request: Request, guild_id: int) -> Response:
        paginator = self.pagination_class()
        paginator.keyset = selectors.MEMBER_ORDER
        members = selectors.guild_member_rows_source(guild_id=guild_id, viewer=player_of(request))
        rows = paginator.paginate_queryset(members, request, self)
        if not rows:
            selectors.guild_get(guild_id=guild_id)  # no such live guild: not_found
        return paginator.get_paginated_response(_member_list_body(rows))


class GuildJoinApi(APIView):
    """Join an open guild (201 `joined`), or ask to join an approval guild (201 `requested`)."""

    permission_classes = [IsPlayer]

    class OutputSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=["joined", "requested"])

    @extend_schema(
        request=None,
        responses={
            201: OutputSerializer,
            **error_responses(
                errors.GuildFull,
                errors.GuildBanned,
                errors.AlreadyMember,
                errors.InviteOnly,
                errors.RequestExists,
                errors.GuildLimitReached,
                errors.GuildDisbanded,
                *SANCTIONS,
            ),
        },
        tags=TAGS,
    )
    def post(self, request: Request, guild_id: int) -> Response:
        guild = selectors.guild_get(guild_id=guild_id)
        result = membership_services.guild_join(player=player_of(request), guild=guild)
        state = "requested" if isinstance(result, GuildJoinRequest) else "joined"
        return Response({"status": state}, status=status.HTTP_201_CREATED)


class GuildLeaveApi(APIView):
    permission_classes = [IsPlayer]

    @extend_schema(
        request=None,
        responses={
            204: None,
            **error_responses(errors.NotMember, errors.LeaderMustTransfer, errors.GuildDisbanded),
        },
        tags=TAGS,
    )
    def post(self, request: Request, guild_id: int) -> Response:
        guild = selectors.guild_get(guild_id=guild_id)
        membership_services.guild_leave(player=player_of(request), guild=guild)
        return Response(status=status.HTTP_204_NO_CONTENT)


class GuildDisbandApi(APIView):
    permission_classes = [IsPlayer]

    @extend_schema(
        request=None,
        responses={204: None, **error_responses(errors.NotMember, errors.NotPermitted)},
        tags=TAGS,
    )
    def post(self, request: Request, guild_id: int) -> Response:
        guild = selectors.guild_get(guild_id=guild_id)
        services.guild_disband(actor=player_of(request), guild=guild)
        return Response(status=status.HTTP_204_NO_CONTENT)


class GuildEmblemApi(APIView):
    """Set (multipart ``image``) or remove the guild's emblem; needs ``edit_guild``. The image
    is checked and re-encoded as avatars are, with the same error codes."""

    permission_classes = [IsPlayer]
    parser_classes = [MultiPartParser]

    class InputSerializer(serializers.Serializer):
        # Empty files reach the avatars' pipeline, which refuses them with its own code.
        image = serializers.FileField(
            allow_empty_file=True, help_text="PNG, JPEG or WebP; checked by content."
        )

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={200: GuildSerializer, **error_responses(*ACTING, *EMBLEM_ERRORS)},
        tags=TAGS,
    )
    def put(self, request: Request, guild_id: int) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        guild = selectors.guild_get(guild_id=guild_id)
        guild = guild_emblem_set(
            actor=player_of(request), guild=guild, upload=serializer.validated_data["image"]
        )
        return Response(GuildSerializer(guild).data)

    @extend_schema(request=None, responses={204: None, **error_responses(*ACTING)}, tags=TAGS)
    def delete(self, request: Request, guild_id: int) -> Response:
        guild = selectors.guild_get(guild_id=guild_id)
        guild_emblem_remove(actor=player_of(request), guild=guild)
        return Response(status=status.HTTP_204_NO_CONTENT)


class GuildTransferApi(APIView):
    permission_classes = [IsPlayer]

    @extend_schema(
        request=PlayerIdSerializer,
        responses={204: None, **error_responses(*ACTING, errors.SelfAction)},
        tags=TAGS,
    )
    def post(self, request: Request, guild_id: int) -> Response:
        serializer = PlayerIdSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        actor = player_of(request)
        guild = selectors.guild_get(guild_id=guild_id)
        target = _player(actor, serializer.validated_data["player_id"])
        services.guild_leader_transfer(actor=actor, guild=guild, new_leader=target)
        return Response(status=status.HTTP_204_NO_CONTENT)


class GuildMemberKickApi(APIView):
    permission_classes = [IsPlayer]

    @extend_schema(
        request=None,
        responses={204: None, **error_responses(*ACTING, errors.RankTooLow, errors.SelfAction)},
        tags=TAGS,
    )
    def post(self, request: Request, guild_id: int, player_id: int) -> Response:
        actor = player_of(request)
        guild = selectors.guild_get(guild_id=guild_id)
        target = _player(actor, player_id)
        membership_services.guild_member_kick(actor=actor, guild=guild, target=target)
        return Response(status=status.HTTP_204_NO_CONTENT)


class GuildBanApi(APIView):
    permission_classes = [IsPlayer]

    class InputSerializer(serializers.Serializer):
        reason = StrictCharField(max_length=500, required=False, allow_blank=True)

    @extend_schema(
        request=InputSerializer,
        responses={
            204: None,
            **error_responses(*ACTING, errors.RankTooLow, errors.SelfAction, errors.AlreadyBanned),
        },
        tags=TAGS,
    )
    def post(self, request: Request, guild_id: int, player_id: int) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        actor = player_of(request)
        guild = selectors.guild_get(guild_id=guild_id)
        target = _player(actor, player_id)
        membership_services.guild_member_ban(
            actor=actor,
            guild=guild,
            target=target,
            reason=serializer.validated_data.get("reason", ""),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses={204: None, **error_responses(*ACTING, errors.SelfAction)},
        tags=TAGS,
    )
    def delete(self, request: Request, guild_id: int, player_id: int) -> Response:
        actor = player_of(request)
        guild = selectors.guild_get(guild_id=guild_id)
        target = Player.objects.filter(id=player_id).first()
        if target is None:
            raise errors.GuildNotFound()
        membership_services.guild_ban_lift(actor=actor, guild=guild, target=target)
        return Response(status=status.HTTP_204_NO_CONTENT)


class GuildMemberRoleApi(APIView):
    permission_classes = [IsPlayer]

    class InputSerializer(serializers.Serializer):
        role_id = serializers.IntegerField()

    @extend_schema(
        request=InputSerializer,
        responses={
            204: None,
            **error_responses(
                *ACTING, errors.RankTooLow, errors.PermissionNotHeld, errors.SelfAction
            ),
        },
        tags=TAGS,
    )
    def post(self, request: Request, guild_id: int, player_id: int) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        actor = player_of(request)
        guild = selectors.guild_get(guild_id=guild_id)
        role = selectors.guild_role_get(guild=guild, role_id=serializer.validated_data["role_id"])
        target = _player(actor, player_id)
        services.guild_member_role_set(actor=actor, guild=guild, target=target, role=role)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoleInputSerializer(serializers.Serializer):
    permissions = serializers.ListField(
        child=serializers.ChoiceField(choices=Permission.choices), max_length=len(Permission)
    )


class GuildRoleCreateApi(APIView):
    permission_classes = [IsPlayer]

    class InputSerializer(RoleInputSerializer):
        name = StrictCharField(max_length=32)
        rank = serializers.IntegerField(min_value=1, max_value=99)

    @extend_schema(
        request=InputSerializer,
        responses={
            201: RoleSerializer,
            **error_responses(*ACTING, errors.RankTooLow, errors.PermissionNotHeld, *NAME_ERRORS),
        },
        tags=TAGS,
    )
    def post(self, request: Request, guild_id: int) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        guild = selectors.guild_get(guild_id=guild_id)
        role = services.guild_role_create(
            actor=player_of(request),
            guild=guild,
            name=data["name"],
            rank=data["rank"],
            permission_names=data["permissions"],
        )
        return Response(RoleSerializer(role).data, status=status.HTTP_201_CREATED)


class GuildRoleUpdateApi(APIView):
    permission_classes = [IsPlayer]

    @extend_schema(
        request=RoleInputSerializer,
        responses={
            200: RoleSerializer,
            **error_responses(*ACTING, errors.RankTooLow, errors.PermissionNotHeld),
        },
        tags=TAGS,
    )
    def patch(self, request: Request, guild_id: int, role_id: int) -> Response:
        # PATCH: fields left out stay as they are (an empty body changes nothing).
        serializer = RoleInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        guild = selectors.guild_get(guild_id=guild_id)
        role = selectors.guild_role_get(guild=guild, role_id=role_id)
        if "permissions" in serializer.validated_data:
            role = services.guild_role_update(
                actor=player_of(request),
                role=role,
                permission_names=serializer.validated_data["permissions"],
            )
        return Response(RoleSerializer(role).data)

    @extend_schema(
        request=None,
        responses={204: None, **error_responses(*ACTING, errors.RankTooLow, errors.RoleInUse)},
        tags=TAGS,
    )
    def delete(self, request: Request, guild_id: int, role_id: int) -> Response:
        guild = selectors.guild_get(guild_id=guild_id)
        role = selectors.guild_role_get(guild=guild, role_id=role_id)
        services.guild_role_delete(actor=player_of(request), role=role)
        return Response(status=status.HTTP_204_NO_CONTENT)


class JoinRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    player = PlayerCardSerializer()
    created_at = serializers.DateTimeField()


class GuildRequestListApi(APIView):
    permission_classes = [IsPlayer]

    @extend_schema(
        responses={200: JoinRequestSerializer(many=True), **error_responses(*ACTING)},
        tags=TAGS,
    )
    def get(self, request: Request, guild_id: int) -> Response:
        guild = selectors.guild_get(guild_id=guild_id)
        requests = selectors.join_requests_for(guild=guild, viewer=player_of(request))
        return Response(JoinRequestSerializer(requests, many=True).data)


class GuildRequestDecideApi(APIView):
    permission_classes = [IsPlayer]
    approve = True

    @extend_schema(
        request=None,
        responses={
            204: None,
            **error_responses(
                *ACTING,
                errors.GuildFull,
                errors.GuildBanned,
                errors.AlreadyMember,
                errors.GuildLimitReached,
            ),
        },
        tags=TAGS,
    )
    def post(self, request: Request, guild_id: int, request_id: int) -> Response:
        guild = selectors.guild_get(guild_id=guild_id)
        join_request = selectors.join_request_get(guild=guild, request_id=request_id)
        membership_services.guild_request_decide(
            actor=player_of(request), join_request=join_request, approve=self.approve
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class GuildRequestDenyApi(GuildRequestDecideApi):
    approve = False


class GuildInviteCreateApi(APIView):
    permission_classes = [IsPlayer]

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        expires_at = serializers.DateTimeField()

    @extend_schema(
        request=PlayerIdSerializer,
        responses={
            201: OutputSerializer,
            **error_responses(
                *ACTING,
                errors.GuildBanned,
                errors.AlreadyMember,
                errors.InviteRefused,
                errors.InviteExists,
            ),
        },
        tags=TAGS,
    )
    def post(self, request: Request, guild_id: int) -> Response:
        serializer = PlayerIdSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        actor = player_of(request)
        guild = selectors.guild_get(guild_id=guild_id)
        target = _player(actor, serializer.validated_data["player_id"])
        invite = membership_services.guild_invite_send(inviter=actor, guild=guild, player=target)
        body = self.OutputSerializer(invite).data
        return Response(body, status=status.HTTP_201_CREATED)


class InviteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    guild = GuildSerializer()
    inviter = PlayerCardSerializer(allow_null=True)
    expires_at = serializers.DateTimeField()


class SentInviteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    player = PlayerCardSerializer()
    inviter = PlayerCardSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


class GuildInviteSentListApi(APIView):
    """The guild's pending invitations (needs ``invite``)."""

    permission_classes = [IsPlayer]

    @extend_schema(
        responses={200: SentInviteSerializer(many=True), **error_responses(*ACTING)}, tags=TAGS
    )
    def get(self, request: Request, guild_id: int) -> Response:
        guild = selectors.guild_get(guild_id=guild_id)
        invites = selectors.invites_sent(guild=guild, viewer=player_of(request))
        return Response(SentInviteSerializer(invites, many=True).data)


class GuildInviteRevokeApi(APIView):
    permission_classes = [IsPlayer]

    @extend_schema(request=None, responses={204: None, **error_responses(*ACTING)}, tags=TAGS)
    def delete(self, request: Request, guild_id: int, invite_id: int) -> Response:
        guild = selectors.guild_get(guild_id=guild_id)
        invite = selectors.invite_get_for_guild(guild=guild, invite_id=invite_id)
        membership_services.guild_invite_revoke(actor=player_of(request), invite=invite)
        return Response(status=status.HTTP_204_NO_CONTENT)


class GuildInviteListApi(APIView):
    permission_classes = [IsPlayer]

    @extend_schema(responses={200: InviteSerializer(many=True)}, tags=TAGS)
    def get(self, request: Request) -> Response:
        invites = selectors.invites_received(player=player_of(request))
        return Response(InviteSerializer(invites, many=True).data)


class GuildInviteRespondApi(APIView):
    permission_classes = [IsPlayer]
    accept = True

    @extend_schema(
        request=None,
        responses={
            204: None,
            **error_responses(
                errors.InviteExpired,
                errors.GuildFull,
                errors.GuildBanned,
                errors.AlreadyMember,
                errors.GuildLimitReached,
                errors.GuildDisbanded,
                *SANCTIONS,
            ),
        },
        tags=TAGS,
    )
    def post(self, request: Request, invite_id: int) -> Response:
        player = player_of(request)
        invite = selectors.invite_get_for_player(player=player, invite_id=invite_id)
        membership_services.guild_invite_respond(player=player, invite=invite, accept=self.accept)
        return Response(status=status.HTTP_204_NO_CONTENT)


class GuildInviteDeclineApi(GuildInviteRespondApi):
    accept = False


class AuditEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    action = serializers.CharField()
    actor = PlayerCardSerializer(allow_null=True)
    target = PlayerCardSerializer(allow_null=True)
    details = serializers.DictField(source="data")
    created_at = serializers.DateTimeField()


class GuildAuditApi(APIView):
    permission_classes = [IsPlayer]
    pagination_class = CursorPagination

    @extend_schema(
        responses={200: AuditEntrySerializer(many=True), **error_responses(*ACTING)},
        tags=TAGS,
    )
    def get(self, request: Request, guild_id: int) -> Response:
        guild = selectors.guild_get(guild_id=guild_id)
        entries = selectors.audit_log_for(guild=guild, viewer=player_of(request))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(entries, request, view=self)
        return paginator.get_paginated_response(AuditEntrySerializer(page, many=True).data)


class FeedEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    player = PlayerCardSerializer(allow_null=True)
    details = serializers.DictField(source="data")
    created_at = serializers.DateTimeField()


class GuildFeedApi(APIView):
    """Joins, leaves, promotions and members' wins and achievements from live games."""

    permission_classes = [IsPlayer]
    pagination_class = CursorPagination

    @extend_schema(responses={200: FeedEntrySerializer(many=True)}, tags=TAGS)
    def get(self, request: Request, guild_id: int) -> Response:
        guild = selectors.guild_get(guild_id=guild_id)
        entries = guild.feed.select_related("player")
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(entries, request, view=self)
        return paginator.get_paginated_response(FeedEntrySerializer(page, many=True).data)


class GuildStatsSerializer(serializers.Serializer):
    title = serializers.CharField(source="title.slug")
    season = serializers.CharField(help_text="Empty: all time.")
    matches_played = serializers.IntegerField()
    matches_won = serializers.IntegerField()


class GuildStatsApi(APIView):
    permission_classes = [IsPlayer]

    @extend_schema(responses={200: GuildStatsSerializer(many=True)}, tags=TAGS)
    def get(self, request: Request, guild_id: int) -> Response:
        guild = selectors.guild_get(guild_id=guild_id)
        rows = guild.stats.select_related("title").order_by("title__slug", "season")
        return Response(GuildStatsSerializer(rows, many=True).data)


class LeaderboardRowSerializer(serializers.Serializer):
    guild = GuildSerializer()
    matches_played = serializers.IntegerField()
    matches_won = serializers.IntegerField()


class GuildLeaderboardApi(APIView):
    """Guilds of a title ranked by wins (then matches) in a season, or all time."""

    permission_classes = [IsPlayer]

    class FilterSerializer(serializers.Serializer):
        title = StrictCharField(max_length=50)
        season = StrictCharField(max_length=32, required=False, allow_blank=True, default="")
        limit = serializers.IntegerField(min_value=1, max_value=100, default=50)

    @extend_schema(
        parameters=[FilterSerializer],
        responses={200: LeaderboardRowSerializer(many=True), **error_responses(InvalidInput)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        title = _title(data["title"])
        rows = guild_leaderboard(title_id=title.id, season=data["season"])[: data["limit"]]
        for row in rows:
            row.guild.title = title
        return Response(LeaderboardRowSerializer(rows, many=True).data)
