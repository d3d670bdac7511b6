"""The listing state machine: one table of legal transitions, each naming its event type."""

from __future__ import annotations

from enum import StrEnum

from natres_platform.errors import Conflict


class ListingState(StrEnum):
    """Where a listing is in its life."""

    DRAFT = "draft"
    ANNOUNCED = "announced"
    REGISTRATION = "registration"
    BIDDING = "bidding"
    TIMED_BIDDING = "timed_bidding"
    CONCLUDED = "concluded"
    FAILED = "failed"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


class Transition(StrEnum):
    """What happens to a listing; each value is the <name> of its event type."""

    ANNOUNCED = "announced"
    REGISTRATION_OPENED = "registration_opened"
    BIDDING_OPENED = "bidding_opened"
    TIMED_BIDDING_STARTED = "timed_bidding_started"
    CONCLUDED = "concluded"
    FAILED = "failed"
    SUSPENDED = "suspended"
    RESUMED = "resumed"
    TERMINATED = "terminated"

    @property
    def event_type(self) -> str:
        """The CloudEvents type recorded for this transition."""
        return f"transactions.listing.{self.value}.v1"


S, T = ListingState, Transition

FINAL_STATES = frozenset({S.CONCLUDED, S.FAILED, S.TERMINATED})
SUSPENDABLE_STATES = frozenset({S.ANNOUNCED, S.REGISTRATION, S.BIDDING, S.TIMED_BIDDING})
EDITABLE_STATES = frozenset({S.DRAFT, S.ANNOUNCED, S.REGISTRATION})

_TABLE: dict[tuple[ListingState, Transition], ListingState] = {
    (S.DRAFT, T.ANNOUNCED): S.ANNOUNCED,
    (S.ANNOUNCED, T.REGISTRATION_OPENED): S.REGISTRATION,
    (S.REGISTRATION, T.BIDDING_OPENED): S.BIDDING,
    # Nobody qualified (or too few for a mining auction): the listing fails before bidding.
    (S.REGISTRATION, T.FAILED): S.FAILED,
    (S.BIDDING, T.TIMED_BIDDING_STARTED): S.TIMED_BIDDING,
    (S.BIDDING, T.CONCLUDED): S.CONCLUDED,
    (S.BIDDING, T.FAILED): S.FAILED,
    (S.TIMED_BIDDING, T.CONCLUDED): S.CONCLUDED,
    (S.TIMED_BIDDING, T.FAILED): S.FAILED,
    **{(state, T.SUSPENDED): S.SUSPENDED for state in SUSPENDABLE_STATES},
    **{(state, T.TERMINATED): S.TERMINATED for state in S if state not in FINAL_STATES},
}


class IllegalTransition(Conflict):
    code = "listing.illegal_transition"
    title = "项目当前状态不允许此操作"


def transition(
    current: ListingState, event: Transition, *, suspended_from: ListingState | None = None
) -> ListingState:
    """The state after `event`; RESUMED returns to `suspended_from`, the state before suspension."""
    if current is S.SUSPENDED and event is T.RESUMED:
        if suspended_from not in SUSPENDABLE_STATES:
            raise IllegalTransition(
                "恢复须指明暂停前的状态", current=current.value, event=event.value,
                suspended_from=suspended_from.value if suspended_from else None,
            )
        return suspended_from
    try:
        return _TABLE[(current, event)]
    except KeyError:
        raise IllegalTransition(
            f"项目状态为 {current.value} 时不能执行 {event.value}", current=current.value, event=event.value
        ) from None


def allowed_transitions(current: ListingState) -> frozenset[Transition]:
    """The events legal in `current` (for UIs and error hints)."""
    allowed = {event for (state, event) in _TABLE if state is current}
    if current is S.SUSPENDED:
        allowed.add(T.RESUMED)
    return frozenset(allowed)


def is_final(state: ListingState) -> bool:
    """Concluded, failed and terminated listings never change again."""
    return state in FINAL_STATES


def terms_editable(state: ListingState) -> bool:
    """Terms may change only before bidding starts."""
    return state in EDITABLE_STATES
