"""The guild floors' SQL (bench/guilds.py, in process; bench/rest_floor.py, under gunicorn):
the rows of a browse page and of a member page, each in one hand-written query."""

BROWSE_SQL = """
    SELECT g.id, g.name, g.tag, g.description, t.slug, g.language, g.region, g.join_policy,
           g.capacity, g.member_count, g.created_at
    FROM guilds_guild g JOIN titles_title t ON t.id = g.title_id
    WHERE g.disbanded_at IS NULL ORDER BY g.member_count DESC, g.id LIMIT 50"""
MEMBERS_SQL = """
    SELECT p.id, p.display_name, p.avatar_large, p.avatar_small, r.name, r.rank, m.is_leader,
           m.joined_at
    FROM guilds_guildmembership m JOIN players_player p ON p.id = m.player_id
    JOIN guilds_guildrole r ON r.id = m.role_id
    WHERE m.guild_id = %(guild)s ORDER BY m.joined_at, m.id LIMIT 200"""
