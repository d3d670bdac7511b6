"""Listing state machine: the legal path, suspension, termination and refusals."""

from __future__ import annotations

import pytest

from transactions.listings.states import (
    IllegalTransition,
    ListingState as S,
    Transition as T,
    allowed_transitions,
    is_final,
    terms_editable,
    transition,
)


def test_happy_path_through_timed_bidding_to_concluded():
    state = S.DRAFT
    for event in (T.ANNOUNCED, T.REGISTRATION_OPENED, T.BIDDING_OPENED, T.TIMED_BIDDING_STARTED, T.CONCLUDED):
        state = transition(state, event)
    assert state is S.CONCLUDED and is_final(state)


@pytest.mark.parametrize("state", [S.REGISTRATION, S.BIDDING, S.TIMED_BIDDING])
def test_failed_from_registration_or_bidding(state):
    assert transition(state, T.FAILED) is S.FAILED


@pytest.mark.parametrize("state", [S.ANNOUNCED, S.REGISTRATION, S.BIDDING, S.TIMED_BIDDING])
def test_suspend_and_resume_to_the_prior_state(state):
    suspended = transition(state, T.SUSPENDED)
    assert suspended is S.SUSPENDED
    assert transition(suspended, T.RESUMED, suspended_from=state) is state


def test_resume_needs_a_suspendable_prior_state():
    with pytest.raises(IllegalTransition):
        transition(S.SUSPENDED, T.RESUMED)
    with pytest.raises(IllegalTransition):
        transition(S.SUSPENDED, T.RESUMED, suspended_from=S.CONCLUDED)


def test_draft_cannot_be_suspended_and_suspended_cannot_be_suspended_again():
    for state in (S.DRAFT, S.SUSPENDED):
        with pytest.raises(IllegalTransition):
            transition(state, T.SUSPENDED)


@pytest.mark.parametrize("state", [s for s in S if s not in (S.CONCLUDED, S.FAILED, S.TERMINATED)])
def test_terminate_from_any_non_final_state(state):
    assert transition(state, T.TERMINATED) is S.TERMINATED


@pytest.mark.parametrize("state", [S.CONCLUDED, S.FAILED, S.TERMINATED])
def test_final_states_accept_nothing(state):
    assert allowed_transitions(state) == frozenset()
    for event in T:
        with pytest.raises(IllegalTransition):
            transition(state, event)


def test_illegal_transition_names_state_and_event():
    with pytest.raises(IllegalTransition) as info:
        transition(S.DRAFT, T.CONCLUDED)
    body = info.value.to_problem()
    assert body["status"] == 409 and body["code"] == "listing.illegal_transition"
    assert body["current"] == "draft" and body["event"] == "concluded"
    assert "draft" in body["detail"] and "concluded" in body["detail"]


def test_cannot_skip_registration_or_resume_an_active_listing():
    with pytest.raises(IllegalTransition):
        transition(S.ANNOUNCED, T.BIDDING_OPENED)
    with pytest.raises(IllegalTransition):
        transition(S.BIDDING, T.RESUMED, suspended_from=S.BIDDING)


def test_terms_editable_only_before_bidding():
    assert {s for s in S if terms_editable(s)} == {S.DRAFT, S.ANNOUNCED, S.REGISTRATION}


def test_event_types():
    assert {t.event_type for t in T} == {
        f"transactions.listing.{n}.v1"
        for n in ("announced", "registration_opened", "bidding_opened", "timed_bidding_started",
                  "concluded", "failed", "suspended", "resumed", "terminated")
    }


def test_allowed_transitions_for_suspended_and_bidding():
    assert allowed_transitions(S.SUSPENDED) == {T.RESUMED, T.TERMINATED}
    assert allowed_transitions(S.BIDDING) == {T.TIMED_BIDDING_STARTED, T.CONCLUDED, T.FAILED, T.SUSPENDED, T.TERMINATED}
