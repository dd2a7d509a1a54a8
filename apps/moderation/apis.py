"""Moderation over REST (docs/moderation.md#rest). Players: report, my sanctions, appeal.
Game servers (title keys): read a player's active sanctions (``moderation:read``), issue and
lift sanctions in their own title (``moderation:write``)."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.api.errors import error_responses
from apps.api.fields import StrictCharField
from apps.common.exceptions import InvalidInput, NotFound, PermissionDenied
from apps.moderation import selectors
from apps.moderation.appeals import AppealExists, InvalidAppeal, appeal_submit
from apps.moderation.enforcement import iso
from apps.moderation.exceptions import InvalidSanction, SanctionNotActive, UnknownSanction
from apps.moderation.exceptions import RateLimited as ReportsRateLimited
from apps.moderation.models import IssuerKind, ReasonCategory, Sanction, TargetType
from apps.moderation.reports import InvalidReport, SelfReport, report_submit
from apps.moderation.sanctions import sanction_issue, sanction_lift
from apps.moderation.targets import UnknownTarget
from apps.players.models import IdentityProvider, Player
from apps.players.selectors import player_get_by_identity, player_get_for_user
from apps.titles import scopes
from apps.titles.permissions import title_client_of, title_scope

GAME_SERVER_KINDS = ["warning", "chat_mute", "dm_restriction", "upload_ban",
                     "guild_creation_ban", "suspension", "ban"]  # fmt: skip


def request_player(request: Request) -> Player:
    """The caller's player: a title key is refused like on every player endpoint."""
    if not isinstance(request.user, User):
        raise PermissionDenied(_("This operation needs a player login."))
    return player_get_for_user(user=request.user)


class SanctionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField(allow_null=True, help_text="Title slug; null = every title.")
    status = serializers.ChoiceField(choices=["active", "scheduled", "expired", "lifted"])
    starts_at = serializers.CharField()
    expires_at = serializers.CharField(allow_null=True, help_text="Null = permanent.")
    reason_category = serializers.CharField()
    reason = serializers.CharField()
    issuer_kind = serializers.CharField()
    appeal = serializers.DictField(allow_null=True)


def sanction_data(sanction: Sanction) -> dict[str, Any]:
    from django.utils import timezone

    now = timezone.now()
    if sanction.lifted_at is not None:
        state = "lifted"
    elif sanction.starts_at > now:
        state = "scheduled"
    elif sanction.is_active_at(now):
        state = "active"
    else:
        state = "expired"
    appeal = getattr(sanction, "appeal", None) if hasattr(sanction, "appeal") else None
    return {
        "id": sanction.id,
        "kind": sanction.kind,
        "title": sanction.title.slug if sanction.title_id and sanction.title else None,
        "status": state,
        "starts_at": iso(sanction.starts_at),
        "expires_at": iso(sanction.expires_at),
        "reason_category": sanction.reason_category,
        "reason": sanction.reason,
        "issuer_kind": sanction.issuer_kind,
        "appeal": None if appeal is None else {
            "id": appeal.id, "status": appeal.status, "decision": appeal.decision_text,
        },
    }  # fmt: skip


class ReportCreateApi(APIView):
    """Report a message, profile, guild, content item or comment. 201 when new, 200 when it
    updated your open report on the same target. Refusals: ``unknown_target``, ``self_report``,
    ``invalid_report``, ``rate_limited`` (``details.retry_after``), ``banned``/``suspended``."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        target_type = serializers.ChoiceField(choices=TargetType.choices)
        target_id = StrictCharField(max_length=64)
        category = serializers.ChoiceField(choices=ReasonCategory.choices)
        text = StrictCharField(max_length=1000, required=False, allow_blank=True)

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        target_type = serializers.CharField()
        target_id = serializers.CharField()
        category = serializers.CharField()
        reported_player_id = serializers.IntegerField(allow_null=True)
        can_block = serializers.BooleanField(help_text="Offer blocking the reported player.")

    @extend_schema(request=InputSerializer, responses={
        201: OutputSerializer, 200: OutputSerializer,
        **error_responses(UnknownTarget, SelfReport, InvalidReport, ReportsRateLimited),
    }, tags=["moderation"])  # fmt: skip
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        player = request_player(request)
        report, created = report_submit(reporter=player, **data.validated_data)
        owner_id = report.case.target_player_id
        body = {"id": report.id, "target_type": report.case.target_type,
                "target_id": report.case.target_id, "category": report.category,
                "reported_player_id": owner_id,
                "can_block": owner_id is not None and owner_id != player.id}  # fmt: skip
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(self.OutputSerializer(body).data, status=code)


class MySanctionListApi(APIView):
    """Your sanctions (active, past and lifted), newest first, each with its appeal."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: SanctionOutputSerializer(many=True)}, tags=["moderation"])
    def get(self, request: Request) -> Response:
        sanctions = selectors.sanctions_of_player(player=request_player(request))
        return Response([sanction_data(sanction) for sanction in sanctions])


class AppealCreateApi(APIView):
    """Appeal one of your sanctions (one appeal per sanction). ``appeal_exists`` (409),
    ``invalid_appeal`` (400), ``unknown_sanction`` (404)."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        text = StrictCharField(max_length=2000)

    @extend_schema(request=InputSerializer, responses={
        201: SanctionOutputSerializer,
        **error_responses(UnknownSanction, InvalidAppeal, AppealExists),
    }, tags=["moderation"])  # fmt: skip
    def post(self, request: Request, sanction_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        player = request_player(request)
        sanction = selectors.sanction_get_for_player(player=player, sanction_id=sanction_id)
        appeal_submit(player=player, sanction=sanction, text=data.validated_data["text"])
        sanction = selectors.sanctions_of_player(player=player).get(id=sanction.id)
        return Response(sanction_data(sanction), status=status.HTTP_201_CREATED)


# --- game servers ------------------------------------------------------------------------------


class PlayerRefSerializer(serializers.Serializer):
    player_id = serializers.IntegerField(required=False, min_value=1)
    provider = serializers.ChoiceField(choices=IdentityProvider.values, required=False)
    external_id = StrictCharField(max_length=128, required=False)


class PlayerReferenceMissing(InvalidInput):
    code = "player_reference_missing"
    default_message = _("Give player_id, or provider and external_id.")


class UnknownPlayer(NotFound):
    code = "unknown_player"
    default_message = _("No such player.")


def _player_of(data: dict[str, Any]) -> Player:
    if data.get("player_id") is not None:
        player = Player.objects.filter(id=data["player_id"], deleted_at__isnull=True).first()
        if player is None:
            raise UnknownPlayer()
        return player
    if data.get("provider") and data.get("external_id"):
        try:
            return player_get_by_identity(provider=data["provider"],
                                          external_id=data["external_id"])  # fmt: skip
        except NotFound as error:
            raise UnknownPlayer() from error
    raise PlayerReferenceMissing()


class TitleSanctionListApi(APIView):
    """A player's active sanctions that hold in the calling title (global ones and the
    title's own), for enforcing them in game. Scope ``moderation:read``."""

    permission_classes = [title_scope(scopes.MODERATION_READ)]

    @extend_schema(
        parameters=[PlayerRefSerializer],
        responses={200: SanctionOutputSerializer(many=True),
                   **error_responses(PlayerReferenceMissing, UnknownPlayer)},
        tags=["moderation"],
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        ref = PlayerRefSerializer(data=request.query_params)
        ref.is_valid(raise_exception=True)
        player = _player_of(ref.validated_data)
        title = title_client_of(request).title
        sanctions = selectors.sanctions_active_for_title(player=player, title_id=title.id)
        return Response([sanction_data(sanction) for sanction in sanctions])


class TitleSanctionIssueApi(APIView):
    """Issue a sanction in the calling title (never global). ``sanction_id`` is the game's own
    id: a retry with it returns the stored sanction (200). Scope ``moderation:write``."""

    permission_classes = [title_scope(scopes.MODERATION_WRITE)]

    class InputSerializer(PlayerRefSerializer):
        kind = serializers.ChoiceField(choices=GAME_SERVER_KINDS)
        expires_at = serializers.DateTimeField(required=False, allow_null=True)
        reason_category = serializers.ChoiceField(choices=ReasonCategory.choices, default="other")
        reason = StrictCharField(max_length=1000, required=False, allow_blank=True)
        sanction_id = StrictCharField(required=False, pattern=r"^[A-Za-z0-9._:-]{1,128}$")

    @extend_schema(request=InputSerializer, responses={
        201: SanctionOutputSerializer, 200: SanctionOutputSerializer,
        **error_responses(PlayerReferenceMissing, UnknownPlayer, InvalidSanction),
    }, tags=["moderation"])  # fmt: skip
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        player = _player_of(values)
        title = title_client_of(request).title
        external_id = values.get("sanction_id")
        existed = (
            external_id is not None
            and Sanction.objects.filter(source_title=title, external_id=external_id).exists()
        )
        sanction = sanction_issue(
            player=player, kind=values["kind"], title=title,
            expires_at=values.get("expires_at"), reason_category=values["reason_category"],
            reason=values.get("reason", ""), issuer_kind=IssuerKind.GAME_SERVER,
            issuer_detail=f"game server of {title.slug}", source_title=title,
            external_id=external_id,
        )  # fmt: skip
        code = status.HTTP_200_OK if existed else status.HTTP_201_CREATED
        return Response(sanction_data(sanction), status=code)


class TitleSanctionLiftApi(APIView):
    """Lift a sanction this title issued. ``sanction_not_active`` (409) when it is over."""

    permission_classes = [title_scope(scopes.MODERATION_WRITE)]

    class InputSerializer(serializers.Serializer):
        reason = StrictCharField(max_length=1000, required=False, allow_blank=True)

    @extend_schema(request=InputSerializer, responses={
        200: SanctionOutputSerializer, **error_responses(UnknownSanction, SanctionNotActive),
    }, tags=["moderation"])  # fmt: skip
    def post(self, request: Request, sanction_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        title = title_client_of(request).title
        sanction = Sanction.objects.filter(id=sanction_id, source_title=title).first()
        if sanction is None:
            raise UnknownSanction()
        lifted = sanction_lift(
            sanction=sanction, reason=data.validated_data.get("reason", ""),
            actor_kind=IssuerKind.GAME_SERVER, actor_name=f"game server of {title.slug}",
        )  # fmt: skip
        return Response(sanction_data(lifted))
