"""Channel-layer group names, from one place so senders and the consumer always agree."""


def user_group(user_id: int) -> str:
    """Every socket of one login joins this group: notifications, presence, sanctions."""
    return f"user.{user_id}"


def topic_group(topic: str) -> str:
    """The group each Daphne process's fan-out hub joins for ``topic`` (e.g. ``chat.12``)."""
    return f"topic.{topic}"
