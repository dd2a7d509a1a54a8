"""What a title credential may do. A credential holds a subset; each API names the one it needs."""

from django.utils.translation import gettext_lazy as _

EVENTS_PUBLISH = "events:publish"
IDENTITIES_WRITE = "identities:write"
CHAT_TOKENS = "chat:tokens"
CHAT_ANNOUNCE = "chat:announce"
PLAYERS_READ = "players:read"
CREDENTIALS_ROTATE = "credentials:rotate"
MODERATION_READ = "moderation:read"
MODERATION_WRITE = "moderation:write"
UGC_READ = "ugc:read"
UGC_WRITE = "ugc:write"
GUILDS_READ = "guilds:read"

SCOPES = {
    EVENTS_PUBLISH: _("Publish game events (HTTP ingest)."),
    IDENTITIES_WRITE: _("Link game identities to players."),
    CHAT_TOKENS: _("Mint short-lived chat tokens for players."),
    CHAT_ANNOUNCE: _("Post announcements to the title's lobbies."),
    PLAYERS_READ: _("Read player profiles and stats."),
    CREDENTIALS_ROTATE: _("Rotate this credential's own key."),
    MODERATION_READ: _("Read players' active sanctions (to enforce them in game)."),
    MODERATION_WRITE: _("Issue and lift sanctions in this title."),
    UGC_READ: _("List and download the title's public content (in-game browsers)."),
    UGC_WRITE: _("Upload files for content published in game."),
    GUILDS_READ: _("Read a player's guilds and members, and guild leaderboards (in-game panel)."),
}

SCOPE_CHOICES = [(scope, f"{scope}: {description}") for scope, description in SCOPES.items()]
