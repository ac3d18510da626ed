"""Proposals: Celery tasks (take ids, call a service; safe to run twice)."""

from __future__ import annotations

from celery import shared_task

__all__ = ["proposal_decision_notify", "proposal_vote_counts_fold"]


@shared_task(
    name="campaigns.proposals.tasks.proposal_decision_notify",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def proposal_decision_notify(transition_id: int) -> bool:
    """Email the proposer about one moderation decision (at most once)."""
    from campaigns.proposals.notifications import proposal_decision_send

    return proposal_decision_send(transition_id=transition_id)


@shared_task(name="campaigns.proposals.tasks.proposal_vote_counts_fold")
def proposal_vote_counts_fold(round_id: int | None = None) -> int:
    """Fold vote rows into each proposal's count: one round, or (periodically) every open round."""
    from campaigns.proposals import services

    if round_id is None:
        return services.proposal_vote_counts_fold_open_rounds()
    return services.proposal_vote_counts_fold(round_id=round_id)
