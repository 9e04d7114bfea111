"""What a skill hands back to the dialogue manager."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from glasses_agent.cards import Reply


@dataclass
class Proposal:
    """Something that spends money: shown first, executed only after confirmation."""

    action: str  # pay, buy, order_food, hail_taxi
    key: str  # idempotency key: executing twice charges once
    what: str  # short description for "timed out" / "cancelled" cards
    card: Reply
    execute: Callable[[], Outcome]
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Outcome:
    replies: list[Reply] = field(default_factory=list)
    actions: list[tuple[str, str, dict]] = field(default_factory=list)  # (action, status, details)
    proposal: Proposal | None = None
    completed: bool = False  # a task finished (counted in agent/metrics)
    failed: bool = False  # a task was refused or failed
    awaiting: str | None = None  # "code", "product", "amount": the next input completes this turn
    track: tuple[str, str, dict] | None = None  # ("order"|"ride", id, info): status updates follow
    retry: bool = False  # nothing was decided (database busy, service down): the confirmation stays open
    outbox: list[tuple[str, Any]] = field(default_factory=list)  # (topic, event) for other nodes, e.g. media/request
