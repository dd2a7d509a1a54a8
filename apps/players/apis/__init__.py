"""REST endpoints of the players app (mounted under /api/v1/ by apps/players/urls.py)."""
