from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UgcConfig(AppConfig):
    name = "apps.ugc"
    label = "ugc"
    verbose_name = _("User-generated content")

    def ready(self) -> None:
        # Registrations with earlier apps: chat's attachment kind, the game-event handler for
        # ugc.published, and this app's section of the player data export.
        from apps.chat.attachments import AttachmentKind, attachment_kind_register
        from apps.moderation.roles import role_permissions_register
        from apps.players.data_rights import erasure_step_register, export_section_register
        from apps.ugc import handlers  # noqa: F401  (registers with the game-event registry)
        from apps.ugc.attachments import ATTACHMENT_KIND, item_card_resolve
        from apps.ugc.data import player_erase_section, player_export_section
        from apps.ugc.reporting import reporting_register
        from apps.ugc.services.moderation import MODERATOR_PERMISSIONS

        attachment_kind_register(AttachmentKind(name=ATTACHMENT_KIND, resolve=item_card_resolve))
        export_section_register(name="ugc", builder=player_export_section)
        erasure_step_register(name="ugc", step=player_erase_section)
        # Item and comment reports go to moderation's queue (its target registry).
        reporting_register()
        # Moderators review, hide and remove content (migration 0003 grants it in the database).
        for role in ("moderators", "senior moderators"):
            role_permissions_register(role=role, permissions=MODERATOR_PERMISSIONS)
