"""``manage.py events_status``: inbox counts by type and state, metrics, last error, lag."""

import logging
from typing import Any

from django.core.management.base import BaseCommand

from apps.game_events.consumer import ConsumerConfig
from apps.game_events.models import InboxState
from apps.game_events.selectors import event_counters, inbox_counts, inbox_last_problem

STATES = [state.value for state in InboxState]
OUTCOMES = ["received", "duplicate", "applied", "ignored", "failed", "dead_lettered", "rejected"]


class Command(BaseCommand):
    help = "Show the game-event inbox, metrics and Service Bus consumer lag."

    def handle(self, *args: Any, **options: Any) -> None:
        self._table("Inbox by type and state", inbox_counts(), STATES)
        self._table("Metrics (events per type and outcome)", event_counters(), OUTCOMES)
        self._last_problem()
        self._lag()

    def _table(self, heading: str, rows: dict[str, dict[str, int]], columns: list[str]) -> None:
        self.stdout.write(self.style.MIGRATE_HEADING(heading))
        if not rows:
            self.stdout.write("  (none)")
            return
        self.stdout.write("  " + f"{'type':<26}" + "".join(f"{c:>14}" for c in columns))
        for event_type, counts in rows.items():
            cells = "".join(f"{counts.get(column, 0):>14}" for column in columns)
            self.stdout.write(f"  {event_type:<26}{cells}")

    def _last_problem(self) -> None:
        problem = inbox_last_problem()
        self.stdout.write(self.style.MIGRATE_HEADING("Last error"))
        if problem is None:
            self.stdout.write("  (none)")
            return
        self.stdout.write(
            f"  {problem.updated_at:%Y-%m-%d %H:%M:%S}Z {problem.state} {problem.event_type} "
            f"{problem.source} {problem.event_id}: {problem.reason}: {problem.detail}"
        )

    def _lag(self) -> None:
        self.stdout.write(self.style.MIGRATE_HEADING("Service Bus"))
        config = ConsumerConfig.from_settings()
        if not config.is_configured:
            self.stdout.write("  not configured (HTTP ingest only)")
            return
        logging.getLogger("azure").setLevel(logging.ERROR)
        from apps.game_events.operations import PEEK_LIMIT, servicebus_lag

        try:
            lag = servicebus_lag(config)
        except Exception as error:  # unreachable broker: report it, the rest is still useful
            self.stdout.write(f"  {config.entity}: unreachable ({type(error).__name__})")
            return
        waiting = f"{lag.waiting}+" if lag.waiting >= PEEK_LIMIT else str(lag.waiting)
        age = "-" if lag.oldest_age_seconds is None else f"{lag.oldest_age_seconds:.1f} s"
        self.stdout.write(
            f"  {config.entity}: {waiting} waiting, oldest {age}, {lag.dead_letters} dead-lettered"
        )
