"""Admin: find players by name, identity or email and see what they have. Read-only here —
changes go through services (deletion cancel is an action), never by editing rows."""

from django.contrib import admin, messages
from django.db.models import F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from apps.players.data_rights import player_deletion_cancel
from apps.players.models import (
    Friendship,
    Notification,
    Player,
    PlayerIdentity,
    PlayerTitleStats,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class IdentityInline(ReadOnlyInline):
    model = PlayerIdentity
    fields = ("provider", "external_id", "title", "used_by_titles", "is_verified", "created_at")
    readonly_fields = fields

    @admin.display(description=_("also used by"))
    def used_by_titles(self, identity: PlayerIdentity) -> str:
        """Other titles whose events or identity calls named it (they may mint its claim
        codes and chat tokens), with the first time."""
        uses = identity.title_uses.select_related("title").order_by("created_at")
        return ", ".join(f"{use.title} ({use.created_at:%Y-%m-%d})" for use in uses) or "-"


class StatsInline(ReadOnlyInline):
    model = PlayerTitleStats
    fields = ("title", "matches_played", "matches_won", "playtime_seconds", "level", "rank")
    readonly_fields = (*fields, "counters")


@admin.register(Player)
class PlayerAdmin(admin.ModelAdmin):
    list_display = (
        "display_name",
        "login",
        "privacy",
        "is_shadow",
        "friends_count",
        "notifications_received",
        "notifications_sent",
        "created_at",
    )
    list_filter = ("privacy", ("user", admin.EmptyFieldListFilter), "deleted_at")
    search_fields = (
        "display_name",
        "user__username",
        "user__email",
        "identities__external_id",
    )
    readonly_fields = (
        "moderation_links",
        *("user", "display_name", "display_name_key", "bio", "locale", "time_zone", "country"),
        *("privacy", "avatar_large", "avatar_small", "notification_opt_outs"),
        *("deletion_requested_at", "deleted_at", "merged_into", "created_at", "updated_at"),
    )
    inlines = [IdentityInline, StatsInline]
    actions = ["cancel_deletion"]
    ordering = ("display_name", "id")  # also the name pickers' (autocomplete) order

    def get_queryset(self, request: HttpRequest) -> QuerySet[Player]:
        friendships = Friendship.objects.filter(
            Q(player_low=OuterRef("pk")) | Q(player_high=OuterRef("pk"))
        )
        return (
            super()
            .get_queryset(request)
            .select_related("user")
            .annotate(
                friend_total=_count(friendships),
                received_total=_count(Notification.objects.filter(recipient=OuterRef("pk"))),
                sent_total=_count(Notification.objects.filter(actor=OuterRef("pk"))),
            )
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("moderation"))
    def moderation_links(self, player: Player) -> str:
        """Everything a moderator looks at for this player, one click away (admin lists
        filtered to them; guilds and content join when those apps land)."""
        targets = [
            (_("messages"), "admin:chat_message_changelist", "author__id__exact"),
            (_("sanctions"), "admin:moderation_sanction_changelist", "player__id__exact"),
            (_("reports about them"), "admin:moderation_reportcase_changelist",
             "status=all&target_player__id__exact"),
            (_("reports they made"), "admin:moderation_report_changelist",
             "reporter__id__exact"),
            (_("automod hits"), "admin:moderation_automodhit_changelist", "player__id__exact"),
        ]  # fmt: skip
        links = [
            format_html('<a href="{}?{}={}">{}</a>', reverse(name), key, player.id, label)
            for label, name, key in targets
        ]  # fmt: skip
        return format_html_join(" · ", "{}", ((link,) for link in links))

    @admin.display(description=_("login"), ordering="user__username")
    def login(self, player: Player) -> str:
        return f"{player.user.username} <{player.user.email}>" if player.user else "—"

    @admin.display(description=_("shadow"), boolean=True)
    def is_shadow(self, player: Player) -> bool:
        return player.is_shadow

    @admin.display(description=_("friends"), ordering="friend_total")
    def friends_count(self, player: Player) -> int:
        return player.friend_total  # type: ignore[attr-defined]  # annotated in get_queryset

    @admin.display(description=_("notifications received"), ordering="received_total")
    def notifications_received(self, player: Player) -> int:
        return player.received_total  # type: ignore[attr-defined]  # annotated in get_queryset

    @admin.display(description=_("notifications sent"), ordering="sent_total")
    def notifications_sent(self, player: Player) -> int:
        return player.sent_total  # type: ignore[attr-defined]  # annotated in get_queryset

    @admin.action(description=_("Cancel the deletion request (restore the login)"))
    def cancel_deletion(self, request: HttpRequest, queryset: QuerySet[Player]) -> None:
        pending = queryset.filter(deletion_requested_at__isnull=False, deleted_at__isnull=True)
        for player in pending:
            player_deletion_cancel(player=player)
        self.message_user(request, _("Deletion cancelled."), messages.SUCCESS)


def _count(queryset: QuerySet) -> Coalesce:
    """COUNT(*) of a correlated subquery (one per row, no join fan-out between counts)."""
    counted = queryset.order_by().annotate(total=Func(F("id"), function="COUNT")).values("total")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "recipient", "kind", "actor", "read_at")
    list_filter = ("kind",)
    search_fields = ("recipient__display_name", "actor__display_name")
    list_select_related = ("recipient", "actor")
    readonly_fields = ("recipient", "actor", "kind", "data", "read_at", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
